package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ExtractOptions tune Extract and CopyDir.
type ExtractOptions struct {
	// ShiftUID/ShiftGID, when non-nil, give the host ID that a container ID
	// is stored as (ID shifting for an LXC idmap); nil keeps IDs as in the
	// archive.
	ShiftUID func(id int) (int, error)
	ShiftGID func(id int) (int, error)
	// Progress, when non-nil, is called with the bytes of file content
	// written so far. It is called often, so it must be cheap.
	Progress func(written int64)
	// Clamp, when not zero, is the latest modification time written:
	// newer times are clamped to it (SOURCE_DATE_EPOCH).
	Clamp time.Time
}

// Stats counts what Extract created.
type Stats struct {
	Files     int `json:"files"`
	Dirs      int `json:"dirs"`
	Symlinks  int `json:"symlinks"`
	Hardlinks int `json:"hardlinks"`
	Devices   int `json:"devices"`
	FIFOs     int `json:"fifos"`
	// Bytes is the file content written.
	Bytes int64 `json:"bytes"`
}

var (
	// ErrUnsafePath marks an entry whose name (or hardlink target) would
	// leave the destination, or would replace the destination itself.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrUnsupportedEntry marks a tar entry type that has no file to create
	// (multi-volume parts, unknown vendor types).
	ErrUnsupportedEntry = errors.New("unsupported tar entry type")
	// ErrHardlinkTarget marks a hardlink whose target is missing in the
	// destination or cannot be linked (a directory).
	ErrHardlinkTarget = errors.New("hardlink target not usable")
	// ErrDirNotEmpty marks an entry that would replace a non-empty folder,
	// which GNU tar refuses as well.
	ErrDirNotEmpty = errors.New("would replace a non-empty directory")
)

// EntryError names the tar entry an error belongs to.
type EntryError struct {
	Name string
	Err  error
}

func (e *EntryError) Error() string { return fmt.Sprintf("tar entry %q: %v", e.Name, e.Err) }
func (e *EntryError) Unwrap() error { return e.Err }

// Extract unpacks the plain tar stream r into the existing folder dest, as
// root, faithfully (owners, modes with setuid/setgid/sticky, xattrs, times,
// devices, FIFOs, hardlinks) and securely: nothing is ever created, changed
// or followed outside dest. Absolute symlinks met in the archive are
// resolved chroot-style inside dest. It honours ctx cancellation between
// entries and between chunks of file content. On error, dest holds what was
// extracted so far; making the whole job atomic is the caller's business.
func Extract(ctx context.Context, r io.Reader, dest string, opts ExtractOptions) (Stats, error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return Stats{}, fmt.Errorf("open extraction folder: %w", err)
	}
	defer root.Close()
	x, err := newExtractor(root, opts)
	if err != nil {
		return Stats{}, err
	}
	defer x.dirs.close()

	// Buffered: tar reads a 512-byte header and then the body, two reads
	// per small file otherwise; large reads bypass the buffer.
	tr := newTarReader(ctx, bufio.NewReaderSize(r, 64<<10))
	last := ""
	for {
		if err := ctx.Err(); err != nil {
			return x.stats, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if last == "" {
				return x.stats, fmt.Errorf("read tar header at byte offset %d: %w", tr.offset(), err)
			}
			return x.stats, fmt.Errorf("read tar header after entry %q (byte offset %d): %w", last, tr.offset(), err)
		}
		last = hdr.Name
		if err := x.entry(ctx, hdr, tr); err != nil {
			return x.stats, &EntryError{Name: hdr.Name, Err: err}
		}
	}
	if err := x.finishDirs(); err != nil {
		return x.stats, err
	}
	return x.stats, nil
}
