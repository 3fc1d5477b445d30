package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
)

// RewriteOptions shape the entries Rewrite copies from one tar stream to
// another.
type RewriteOptions struct {
	// ShiftUID, ShiftGID, Clamp and Progress are Extract's: owners (and a
	// v3 file capability's rootid) are stored shifted, times clamped;
	// Progress gets the content bytes copied so far.
	ExtractOptions
	// Prefix goes before every name and hardlink target (a local folder
	// path such as "usr/share/Thunder/OCDM/Container/rootfs"); the
	// stream's root folder entry "./" becomes the prefix folder itself.
	Prefix string
	// Skip, when non-nil, leaves out the entry with the cleaned name (as
	// in the input, without Prefix); a skipped folder's members go too.
	Skip func(name string) bool
}

// Rewrite copies the plain tar stream r into tw entry by entry, without
// touching a disk: names cleaned like Extract's (an entry that would leave
// the root is refused) and prefixed, owners shifted, names of owners
// dropped when shifted (the host's user names mean nothing for shifted
// IDs), everything else kept: modes with setuid/setgid/sticky, devices,
// FIFOs, symlinks as written, hardlinks, xattrs, times. tw is not closed.
func Rewrite(ctx context.Context, r io.Reader, tw EntryWriter, opts RewriteOptions) (Stats, error) {
	c := NewEntryCopier(tw, opts)
	tr := newTarReader(ctx, bufio.NewReaderSize(r, 64<<10))
	for {
		if err := ctx.Err(); err != nil {
			return c.Stats, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return c.Stats, nil
		}
		if err != nil {
			return c.Stats, fmt.Errorf("read tar header after %d entries: %w", c.entries, err)
		}
		if err := c.Copy(ctx, hdr, tr); err != nil {
			return c.Stats, &EntryError{Name: hdr.Name, Err: err}
		}
	}
}

// EntryCopier writes entries of one stream into another with Rewrite's
// rules; Stats counts what it wrote.
type EntryCopier struct {
	tw      EntryWriter
	opts    RewriteOptions
	buf     []byte
	skipped []string // folders left out, whose members go too
	entries int
	Stats   Stats
}

// NewEntryCopier returns a copier writing into tw.
func NewEntryCopier(tw EntryWriter, opts RewriteOptions) *EntryCopier {
	opts.Prefix = strings.Trim(path.Clean("/"+opts.Prefix), "/")
	return &EntryCopier{tw: tw, opts: opts, buf: make([]byte, copyBufferSize)}
}

// Copy writes one entry (its content read from body) with the copier's
// rules, or leaves it out.
func (c *EntryCopier) Copy(ctx context.Context, hdr *tar.Header, body io.Reader) error {
	return c.copy(ctx, hdr, body, nil, 0)
}

// CopyInput is Copy of the current entry of in; into a TarOut, content
// that lies in a plain tar file is copied as a file range.
func (c *EntryCopier) CopyInput(ctx context.Context, in *TarInput) error {
	f, off, ok := in.BodyRange()
	if _, ranges := c.tw.(*TarOut); !ok || !ranges {
		f = nil
	}
	return c.copy(ctx, in.tr.hdr, in.Body(), f, off)
}

func (c *EntryCopier) copy(ctx context.Context, hdr *tar.Header, body io.Reader, src *os.File, off int64) error {
	c.entries++
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, typeGNUVolHeader:
		return nil // no file behind these
	}
	name, err := cleanEntryName(hdr.Name)
	if err != nil {
		return err
	}
	if c.skips(name) {
		if hdr.Typeflag == tar.TypeDir || hdr.Typeflag == typeGNUDumpDir {
			c.skipped = append(c.skipped, name)
		}
		return nil
	}
	out := *hdr
	out.Name = c.prefixed(name)
	// The reader fills the deprecated Xattrs from the same PAX records;
	// the writer would let it override an edited record.
	out.Xattrs = nil
	switch hdr.Typeflag {
	case tar.TypeDir, typeGNUDumpDir:
		out.Typeflag, out.Name = tar.TypeDir, out.Name+"/"
		c.Stats.Dirs++
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		// archive/tar's reader expands sparse files; written back whole.
		out.Typeflag = tar.TypeReg
		c.Stats.Files++
	case tar.TypeSymlink:
		c.Stats.Symlinks++
	case tar.TypeLink:
		target, err := cleanEntryName(hdr.Linkname)
		if err != nil {
			return fmt.Errorf("hardlink target: %w", err)
		}
		if c.skips(target) {
			return fmt.Errorf("%w: %q links to %q, which is left out", ErrHardlinkTarget, hdr.Name, hdr.Linkname)
		}
		out.Linkname = c.prefixed(target)
		c.Stats.Hardlinks++
	case tar.TypeChar, tar.TypeBlock:
		c.Stats.Devices++
	case tar.TypeFifo:
		c.Stats.FIFOs++
	default:
		return fmt.Errorf("%w %q", ErrUnsupportedEntry, string(rune(hdr.Typeflag)))
	}
	if err := c.shift(&out); err != nil {
		return err
	}
	c.clamp(&out)
	// PAX keeps xattrs and long names alike; a header read as GNU with
	// PAX records could not be written back as GNU.
	out.Format = tar.FormatPAX
	if err := c.tw.WriteHeader(&out); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if out.Typeflag != tar.TypeReg {
		return nil
	}
	if src != nil {
		c.Stats.Bytes += out.Size
		if c.opts.Progress != nil {
			c.opts.Progress(c.Stats.Bytes)
		}
		return c.tw.(*TarOut).CopyRange(src, off, out.Size)
	}
	return c.copyBody(ctx, body, out.Size)
}

// skips tells whether name is left out, itself or below a skipped folder.
func (c *EntryCopier) skips(name string) bool {
	for _, dir := range c.skipped {
		if strings.HasPrefix(name, dir+"/") {
			return true
		}
	}
	return c.opts.Skip != nil && c.opts.Skip(name)
}

func (c *EntryCopier) prefixed(name string) string {
	switch {
	case c.opts.Prefix == "":
		if name == "." {
			return "."
		}
		return name
	case name == ".":
		return c.opts.Prefix
	}
	return c.opts.Prefix + "/" + name
}

// shift stores the entry's owner (and a v3 capability's rootid) as the host
// IDs they map to.
func (c *EntryCopier) shift(h *tar.Header) error {
	if c.opts.ShiftUID == nil && c.opts.ShiftGID == nil {
		return nil
	}
	var err error
	if c.opts.ShiftUID != nil {
		if h.Uid, err = c.opts.ShiftUID(h.Uid); err != nil {
			return fmt.Errorf("shift uid %d: %w", h.Uid, err)
		}
		h.Uname = ""
	}
	if c.opts.ShiftGID != nil {
		if h.Gid, err = c.opts.ShiftGID(h.Gid); err != nil {
			return fmt.Errorf("shift gid %d: %w", h.Gid, err)
		}
		h.Gname = ""
	}
	capKey := paxXattrPrefix + capabilityXattr
	if value, ok := h.PAXRecords[capKey]; ok && c.opts.ShiftUID != nil {
		shifted, err := shiftCapabilityRootID([]byte(value), c.opts.ShiftUID)
		if err != nil {
			return err
		}
		records := make(map[string]string, len(h.PAXRecords))
		for k, v := range h.PAXRecords {
			records[k] = v
		}
		records[capKey] = string(shifted)
		h.PAXRecords = records
	}
	return nil
}

// clamp limits the entry's times to the clamp time.
func (c *EntryCopier) clamp(h *tar.Header) {
	if c.opts.Clamp.IsZero() {
		return
	}
	for _, t := range []*time.Time{&h.ModTime, &h.AccessTime, &h.ChangeTime} {
		if t.After(c.opts.Clamp) {
			*t = c.opts.Clamp
		}
	}
}

// copyBody copies exactly size bytes of content; a short body is an error
// (a truncated archive), never a silently short file.
func (c *EntryCopier) copyBody(ctx context.Context, body io.Reader, size int64) error {
	var done int64
	for done < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := c.buf
		if left := size - done; left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		n, err := io.ReadFull(body, chunk)
		if n > 0 {
			if _, werr := c.tw.Write(chunk[:n]); werr != nil {
				return fmt.Errorf("write content: %w", werr)
			}
			done += int64(n)
			c.Stats.Bytes += int64(n)
			if c.opts.Progress != nil {
				c.opts.Progress(c.Stats.Bytes)
			}
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fmt.Errorf("content ends after %d of %d bytes: %w", done, size, io.ErrUnexpectedEOF)
			}
			return fmt.Errorf("read content: %w", err)
		}
	}
	return nil
}
