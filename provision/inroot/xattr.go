package inroot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// readXattrs returns the extended attributes of the regular file name
// (resolved), all namespaces; none where the filesystem has none.
func readXattrs(root *os.Root, name string) (map[string][]byte, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fd := int(f.Fd())
	list, err := xattrCall(func(buf []byte) (int, error) { return unix.Flistxattr(fd, buf) })
	if errors.Is(err, unix.ENOTSUP) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the extended attributes of %s: %w", name, err)
	}
	attrs := map[string][]byte{}
	for _, key := range bytes.Split(bytes.TrimSuffix(list, []byte{0}), []byte{0}) {
		if len(key) == 0 {
			continue
		}
		value, err := xattrCall(func(buf []byte) (int, error) { return unix.Fgetxattr(fd, string(key), buf) })
		if err != nil {
			return nil, fmt.Errorf("read extended attribute %s of %s: %w", key, name, err)
		}
		attrs[string(key)] = value
	}
	return attrs, nil
}

// writeXattrs sets the attributes on f.
func writeXattrs(f *os.File, attrs map[string][]byte) error {
	for key, value := range attrs {
		if err := unix.Fsetxattr(int(f.Fd()), key, value, 0); err != nil {
			return fmt.Errorf("keep extended attribute %s: %w", key, err)
		}
	}
	return nil
}

// xattrCall runs a list or get call with a buffer big enough, asking the
// size first (it may grow between the calls: then ask again).
func xattrCall(call func([]byte) (int, error)) ([]byte, error) {
	for {
		size, err := call(nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size)
		n, err := call(buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}
