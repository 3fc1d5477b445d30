package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// copyBufferSize is the one buffer file content streams through: big enough
// for few syscalls per large file, small enough to keep memory flat.
const copyBufferSize = 256 << 10

// GNU entry types archive/tar has no names for.
const (
	typeGNUVolHeader = 'V' // volume label: no file
	typeGNUDumpDir   = 'D' // incremental dump folder: a folder
)

// extractor holds the state of one Extract call.
type extractor struct {
	root    *os.Root
	opts    ExtractOptions
	dirs    *dirCache
	pending *pendingDirs
	buf     []byte
	stats   Stats
	// created is what a new file's permission bits are made of, to leave
	// out the fchmod that would change nothing.
	created creationModes
}

func newExtractor(root *os.Root, opts ExtractOptions) (*extractor, error) {
	dirs, err := newDirCache(root)
	if err != nil {
		return nil, fmt.Errorf("open extraction folder: %w", err)
	}
	return &extractor{
		root:    root,
		opts:    opts,
		dirs:    dirs,
		pending: newPendingDirs(),
		buf:     make([]byte, copyBufferSize),
		created: readCreationModes(root),
	}, nil
}

// target is where one entry goes: a single name component inside a parent
// folder opened through the os.Root. Every *at call below uses these two and
// never follows base, so no operation can leave the root.
type target struct {
	parent   string // the parent folder, resolved inside the root
	dirfd    int
	base     string
	resolved string // parent/base, for messages and the pending-dir list
}

// entry creates one archive member.
func (x *extractor) entry(ctx context.Context, hdr *tar.Header, body content) error {
	x.dirs.sweep()
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, typeGNUVolHeader:
		return nil // no file behind these, whatever name they carry
	}
	name, err := cleanEntryName(hdr.Name)
	if err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir, typeGNUDumpDir:
		t, err := x.target(name)
		if err != nil {
			return err
		}
		return x.dir(t, hdr)
	}
	if name == "." {
		return fmt.Errorf("%w: a %s would replace the destination folder itself", ErrUnsafePath, typeName(hdr.Typeflag))
	}
	t, err := x.target(name)
	if err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		return x.file(ctx, t, hdr, body)
	case tar.TypeSymlink:
		return x.symlink(t, hdr)
	case tar.TypeLink:
		return x.hardlink(t, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return x.special(t, hdr)
	default:
		return fmt.Errorf("%w %q", ErrUnsupportedEntry, string(rune(hdr.Typeflag)))
	}
}

// target opens the parent folder of the cleaned entry name (creating missing
// folders, resolving symlinks chroot-style) and returns where the entry goes.
func (x *extractor) target(name string) (target, error) {
	parent, base := splitName(name)
	d, err := x.dirs.get(parent)
	if err != nil {
		return target{}, fmt.Errorf("parent folder %q: %w", parent, err)
	}
	resolved := base
	if d.resolved != "." {
		resolved = d.resolved + "/" + base
	}
	if base == "." {
		resolved = d.resolved
	}
	return target{parent: d.resolved, dirfd: d.fd, base: base, resolved: resolved}, nil
}

// create runs mk; when something already has the entry's name it is removed
// first and mk tried once more, which is what GNU tar does by default
// (a later archive member replaces an earlier one, and an existing symlink
// is replaced rather than written through).
func (x *extractor) create(t target, mk func() error) error {
	err := mk()
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	if err := x.removeExisting(t); err != nil {
		return err
	}
	return mk()
}

// removeExisting removes what has the target's name: files, symlinks,
// devices, and empty folders (GNU tar refuses non-empty ones too).
func (x *extractor) removeExisting(t target) error {
	var st unix.Stat_t
	if err := unix.Fstatat(t.dirfd, t.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("inspect existing %q: %w", t.resolved, err)
	}
	kind := st.Mode & unix.S_IFMT
	flags := 0
	if kind == unix.S_IFDIR {
		flags = unix.AT_REMOVEDIR
	}
	if kind == unix.S_IFDIR || kind == unix.S_IFLNK {
		// Cached parent folders may have been reached through this name.
		x.dirs.drop(t.resolved, kind == unix.S_IFLNK)
	}
	err := unix.Unlinkat(t.dirfd, t.base, flags)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%w: %q", ErrDirNotEmpty, t.resolved)
	}
	if err != nil {
		return fmt.Errorf("replace existing %q: %w", t.resolved, err)
	}
	return nil
}

func typeName(flag byte) string {
	switch flag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		return "file"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	}
	return fmt.Sprintf("entry of type %q", string(rune(flag)))
}
