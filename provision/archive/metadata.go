package archive

import (
	"archive/tar"
	"fmt"

	"golang.org/x/sys/unix"
)

// applyMeta gives a created object its recorded metadata in the order that
// keeps every part of it: owner first (chown clears setuid/setgid and
// security.capability), then xattrs, then the full mode, then times (every
// step before changes ctime only, but the order keeps it obvious). fd is the
// open regular file, or -1 to work on t's name without following it.
func (x *extractor) applyMeta(t target, fd int, hdr *tar.Header, symlink bool) error {
	uid, gid, err := x.ids(hdr)
	if err != nil {
		return err
	}
	if fd >= 0 {
		err = unix.Fchown(fd, uid, gid)
	} else {
		err = unix.Fchownat(t.dirfd, t.base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return fmt.Errorf("set owner %d:%d: %w", uid, gid, err)
	}
	if err := x.setXattrs(t, fd, hdr); err != nil {
		return err
	}
	if !symlink { // Linux symlinks have no mode of their own
		mode := uint32(hdr.Mode) & 0o7777
		switch {
		case fd >= 0 && x.created.exact(mode):
			// The new file has had these very bits since its open.
		case fd >= 0:
			err = unix.Fchmod(fd, mode)
		default:
			// Follows a symlink at base, but base was just created (or
			// checked) by us and is not one.
			err = unix.Fchmodat(t.dirfd, t.base, mode, 0)
		}
		if err != nil {
			return fmt.Errorf("set mode %#o: %w", mode, err)
		}
	}
	return setTimes(t, fd, hdr, x.opts.Clamp)
}

// ids gives the numeric owner to store (never names: the build host's
// /etc/passwd means nothing for the target), shifted when asked.
func (x *extractor) ids(hdr *tar.Header) (uid, gid int, err error) {
	uid, gid = hdr.Uid, hdr.Gid
	if x.opts.ShiftUID != nil {
		if uid, err = x.opts.ShiftUID(hdr.Uid); err != nil {
			return 0, 0, fmt.Errorf("shift uid %d: %w", hdr.Uid, err)
		}
	}
	if x.opts.ShiftGID != nil {
		if gid, err = x.opts.ShiftGID(hdr.Gid); err != nil {
			return 0, 0, fmt.Errorf("shift gid %d: %w", hdr.Gid, err)
		}
	}
	return uid, gid, nil
}
