package inroot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize bounds what ReadFile reads. The files the tool reads in a
// target (plugin configs, LXC configs and what they include, subuid) are
// small; a bigger one is a mistake, and reading it whole would not be.
const MaxFileSize = 16 << 20

var (
	// ErrNotRegular is returned for a name that is no regular file: a
	// named pipe would block its reader forever, a device such as
	// /dev/zero would never end.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is returned for a file larger than MaxFileSize.
	ErrTooLarge = fmt.Errorf("larger than %d MiB", MaxFileSize>>20)
)

// ReadFile reads name from the root, following symlinks the target's way.
// Only a regular file of at most MaxFileSize bytes is read.
func ReadFile(root FS, name string) ([]byte, error) {
	resolved, err := Resolve(root, name, true)
	if err != nil {
		return nil, err
	}
	f, err := OpenRegular(root, resolved)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &fs.PathError{Op: "read", Path: resolved, Err: ErrTooLarge}
	}
	return data, nil
}

// OpenRegular opens the resolved name for reading when it is a regular
// file, and never blocks: a named pipe, a device or a socket in its place
// is refused before it is opened, and a folder of the build host is
// opened with O_NONBLOCK and checked again once open (it may have been
// swapped in between). The file reads at offsets (io.ReaderAt).
func OpenRegular(root FS, resolved string) (fs.File, error) {
	info, err := root.Lstat(resolved)
	if err != nil {
		return nil, err
	}
	if err := regular(resolved, info); err != nil {
		return nil, err
	}
	r, ok := root.(*os.Root)
	if !ok {
		return root.FS().Open(resolved)
	}
	f, err := r.OpenFile(resolved, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	if info, err = f.Stat(); err == nil {
		err = regular(resolved, info)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// regular refuses anything but a regular file, saying what it is.
func regular(name string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	what := "something else"
	switch t := info.Mode().Type(); {
	case t&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case t&fs.ModeCharDevice != 0:
		what = "a character device"
	case t&fs.ModeDevice != 0:
		what = "a block device"
	case t&fs.ModeSocket != 0:
		what = "a socket"
	case t&fs.ModeDir != 0:
		what = "a folder"
	case t&fs.ModeSymlink != 0:
		what = "a symlink"
	}
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, what)}
}
