package archive

import (
	"archive/tar"
	"fmt"

	"golang.org/x/sys/unix"
)

// setTimes sets the recorded mtime (with the nanoseconds a PAX header
// carries) without following a symlink, so symlinks get theirs too. atime
// becomes "now", as GNU tar does outside incremental mode.
func setTimes(t target, hdr *tar.Header) error {
	ts := []unix.Timespec{
		{Nsec: unix.UTIME_NOW},
		{Sec: hdr.ModTime.Unix(), Nsec: int64(hdr.ModTime.Nanosecond())},
	}
	if err := unix.UtimesNanoAt(t.dirfd, t.base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set modification time: %w", err)
	}
	return nil
}
