package archive

import (
	"archive/tar"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setTimes sets the recorded mtime (with the nanoseconds a PAX header
// carries), clamped when asked, on the open file fd, or on t's name
// without following a symlink when fd is -1 (so symlinks get theirs too).
// atime becomes "now", as GNU tar does outside incremental mode.
func setTimes(t target, fd int, hdr *tar.Header, clamp time.Time) error {
	mtime := hdr.ModTime
	if !clamp.IsZero() && mtime.After(clamp) {
		mtime = clamp
	}
	ts := [2]unix.Timespec{
		{Nsec: unix.UTIME_NOW},
		{Sec: mtime.Unix(), Nsec: int64(mtime.Nanosecond())},
	}
	var err error
	if fd >= 0 {
		err = futimens(fd, &ts)
	} else {
		err = unix.UtimesNanoAt(t.dirfd, t.base, ts[:], unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return fmt.Errorf("set modification time: %w", err)
	}
	return nil
}

// futimens is utimensat(fd, NULL, ts, 0): the times of the open file,
// without a path lookup (x/sys has no wrapper that passes NULL).
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
