package archive

import (
	"archive/tar"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// setTimes sets the recorded mtime (with the nanoseconds a PAX header
// carries), clamped when asked, without following a symlink, so symlinks
// get theirs too. atime becomes "now", as GNU tar does outside incremental
// mode.
func setTimes(t target, hdr *tar.Header, clamp time.Time) error {
	mtime := hdr.ModTime
	if !clamp.IsZero() && mtime.After(clamp) {
		mtime = clamp
	}
	ts := []unix.Timespec{
		{Nsec: unix.UTIME_NOW},
		{Sec: mtime.Unix(), Nsec: int64(mtime.Nanosecond())},
	}
	if err := unix.UtimesNanoAt(t.dirfd, t.base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set modification time: %w", err)
	}
	return nil
}
