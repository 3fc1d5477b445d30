package archive

import (
	"io"
	"os"
)

// FileProgress tells how far reading a tarball opened from a regular file
// has come (src is what OpenTarball or OpenTarInput returned): read returns the file
// offset reached (a compressed tarball's decoder reads ahead by its
// buffer, a few hundred KiB), size is the file's size. ok is false for a
// stream (a pipe, standard input), whose size nobody knows.
func FileProgress(src any) (read func() int64, size int64, ok bool) {
	var f *os.File
	switch r := src.(type) {
	case *os.File:
		f = r
	case *asyncReader:
		f = r.file
	case *xzFile:
		f = r.file
	case *TarInput:
		return FileProgress(r.closer)
	}
	if f == nil {
		return nil, 0, false
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return nil, 0, false
	}
	// The offset is the kernel's: asking for it is safe while another
	// goroutine (the decoder) reads the file.
	return func() int64 {
		n, _ := f.Seek(0, io.SeekCurrent)
		return n
	}, info.Size(), true
}
