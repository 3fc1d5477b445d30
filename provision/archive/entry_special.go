package archive

import (
	"archive/tar"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// symlink creates a symlink whose target is stored exactly as written: it is
// data for the target system, resolved only when something later walks
// through it (and then chroot-style, inside the destination).
func (x *extractor) symlink(t target, hdr *tar.Header) error {
	if hdr.Linkname == "" {
		return errors.New("symlink with an empty target")
	}
	err := x.create(t, func() error { return unix.Symlinkat(hdr.Linkname, t.dirfd, t.base) })
	if err != nil {
		return fmt.Errorf("create symlink: %w", err)
	}
	if err := x.applyMeta(t, -1, hdr, true); err != nil {
		return err
	}
	x.stats.Symlinks++
	return nil
}

// hardlink links the entry to an earlier member. The target name is cleaned
// like an entry name and resolved inside the root without following its
// last component, so a hardlink to a symlink links the symlink (as GNU tar
// does) and nothing outside the destination can ever be linked in.
func (x *extractor) hardlink(t target, hdr *tar.Header) error {
	name, err := cleanEntryName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hardlink target: %w", err)
	}
	if name == "." {
		return fmt.Errorf("%w: hardlink to the destination folder", ErrHardlinkTarget)
	}
	// The target's folder is found (never created) like an entry's: its
	// symlinks resolved chroot-style; the last component is not followed.
	parent, base := splitName(name)
	from, err := x.dirs.find(parent)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrHardlinkTarget, hdr.Linkname, err)
	}
	var src, dst unix.Stat_t
	if err := unix.Fstatat(from.fd, base, &src, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrHardlinkTarget, hdr.Linkname, err)
	}
	if src.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("%w: %q is a directory", ErrHardlinkTarget, hdr.Linkname)
	}
	// Already the same file (a repeated member, or a link to itself): done.
	if unix.Fstatat(t.dirfd, t.base, &dst, unix.AT_SYMLINK_NOFOLLOW) == nil && dst.Dev == src.Dev && dst.Ino == src.Ino {
		x.stats.Hardlinks++
		return nil
	}
	if err := x.create(t, func() error { return unix.Linkat(from.fd, base, t.dirfd, t.base, 0) }); err != nil {
		return fmt.Errorf("create hardlink to %q: %w", hdr.Linkname, err)
	}
	x.stats.Hardlinks++
	return nil
}

// special creates character and block devices and FIFOs. os.Root has no
// Mknod, hence mknodat on the parent folder opened through the root.
func (x *extractor) special(t target, hdr *tar.Header) error {
	kind := uint32(unix.S_IFIFO)
	switch hdr.Typeflag {
	case tar.TypeChar:
		kind = unix.S_IFCHR
	case tar.TypeBlock:
		kind = unix.S_IFBLK
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	if hdr.Typeflag == tar.TypeFifo {
		dev = 0
	}
	err := x.create(t, func() error { return unix.Mknodat(t.dirfd, t.base, kind|uint32(hdr.Mode)&0o777, dev) })
	if err != nil {
		return fmt.Errorf("create %s: %w", typeName(hdr.Typeflag), err)
	}
	if err := x.applyMeta(t, -1, hdr, false); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeFifo {
		x.stats.FIFOs++
	} else {
		x.stats.Devices++
	}
	return nil
}
