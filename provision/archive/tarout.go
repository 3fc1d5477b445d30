package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// EntryWriter is where copied entries go: a *tar.Writer, or a TarOut,
// which can also take content as a range of a file.
type EntryWriter interface {
	WriteHeader(hdr *tar.Header) error
	Write(p []byte) (int, error)
}

// TarOut writes a tar stream like tar.Writer does, and can also write
// entries' raw blocks as read from an input tarball and content as ranges
// of a file: when both ends are plain files the kernel then copies the
// bytes (copy_file_range) without passing them through this process —
// the cost of copying a big rootfs tarball is mostly that copy.
type TarOut struct {
	w    io.Writer
	file *os.File // w itself when it is a file written from its start
	// left is the content the current entry still expects; pad follows.
	left, pad int64
	raw       rawRange
	zeros     [tarBlockSize]byte
}

// NewTarOut writes a tar stream to w; file is w when w is a plain file
// (the output of an uncompressed tarball), else nil.
func NewTarOut(w io.Writer, file *os.File) *TarOut {
	return &TarOut{w: w, file: file}
}

func (o *TarOut) put(p []byte) error {
	_, err := o.w.Write(p)
	return err
}

// WriteHeader starts an entry, whose content (Size bytes) follows.
func (o *TarOut) WriteHeader(hdr *tar.Header) error {
	if err := o.endEntry(); err != nil {
		return err
	}
	if err := o.flushRaw(); err != nil {
		return err
	}
	if isSparse(hdr) {
		// tar.Reader hands sparse content out whole: it is written whole.
		whole := *hdr
		whole.Typeflag, whole.PAXRecords = tar.TypeReg, map[string]string{}
		for k, v := range hdr.PAXRecords {
			if !strings.HasPrefix(k, "GNU.sparse.") {
				whole.PAXRecords[k] = v
			}
		}
		hdr = &whole
	}
	// A tar.Writer of its own per header: it encodes the header blocks
	// (PAX or GNU extensions included) and is then dropped.
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).WriteHeader(hdr); err != nil {
		return err
	}
	if err := o.put(buf.Bytes()); err != nil {
		return err
	}
	if hasContent(hdr) {
		o.left = hdr.Size
		o.pad = blockPad(hdr.Size)
	}
	return nil
}

// Write writes content of the current entry.
func (o *TarOut) Write(p []byte) (int, error) {
	if int64(len(p)) > o.left {
		return 0, fmt.Errorf("%w: %d bytes more than the entry's size", tar.ErrWriteTooLong, int64(len(p))-o.left)
	}
	if err := o.put(p); err != nil {
		return 0, err
	}
	o.left -= int64(len(p))
	return len(p), nil
}

// CopyRange writes n bytes of content of the current entry from src at
// offset off, leaving src's own offset alone.
func (o *TarOut) CopyRange(src *os.File, off, n int64) error {
	if n > o.left {
		return fmt.Errorf("%w: %d bytes more than the entry's size", tar.ErrWriteTooLong, n-o.left)
	}
	if err := o.copyRange(src, off, n); err != nil {
		return err
	}
	o.left -= n
	return nil
}

// RawRange writes n bytes of src at off as they are: whole entries as
// read from a tarball. Ranges that follow each other in src are copied
// together, so copying many unchanged entries costs a few kernel copies.
func (o *TarOut) RawRange(src *os.File, off, n int64) error {
	if err := o.endEntry(); err != nil {
		return err
	}
	if o.raw.src == src && o.raw.off+o.raw.n == off {
		o.raw.n += n
		return nil
	}
	if err := o.flushRaw(); err != nil {
		return err
	}
	o.raw = rawRange{src, off, n}
	return nil
}

// rawRange is a range of a tarball file still to be copied.
type rawRange struct {
	src    *os.File
	off, n int64
}

// Flush writes what RawRange still holds back; call it before closing the
// file the ranges are in.
func (o *TarOut) Flush() error { return o.flushRaw() }

func (o *TarOut) flushRaw() error {
	if o.raw.n == 0 {
		return nil
	}
	r := o.raw
	o.raw = rawRange{}
	return o.copyRange(r.src, r.off, r.n)
}

// Close ends the stream with the two zero blocks tar readers stop at; it
// does not close the writer.
func (o *TarOut) Close() error {
	if err := o.endEntry(); err != nil {
		return err
	}
	if err := o.flushRaw(); err != nil {
		return err
	}
	for range 2 {
		if err := o.put(o.zeros[:]); err != nil {
			return err
		}
	}
	return nil
}

// endEntry checks that the current entry got all its content and pads it
// to a whole block.
func (o *TarOut) endEntry() error {
	if o.left != 0 {
		return fmt.Errorf("%w: the entry misses %d bytes of content", io.ErrShortWrite, o.left)
	}
	if o.pad > 0 {
		if err := o.put(o.zeros[:o.pad]); err != nil {
			return err
		}
		o.pad = 0
	}
	return nil
}

// copyRange copies with copy_file_range when the output is a file, else
// reads the range and writes it.
func (o *TarOut) copyRange(src *os.File, off, n int64) error {
	for o.file != nil && n > 0 {
		done, err := unix.CopyFileRange(int(src.Fd()), &off, int(o.file.Fd()), nil, int(n), 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
			break // no kernel copy between these two: copy through memory
		}
		if err != nil {
			return fmt.Errorf("copy %d bytes at offset %d: %w", n, off, err)
		}
		if done == 0 {
			return fmt.Errorf("copy at offset %d: %w", off, io.ErrUnexpectedEOF)
		}
		n -= int64(done)
	}
	if n == 0 {
		return nil
	}
	copied, err := io.Copy(o.w, io.NewSectionReader(src, off, n))
	if err == nil && copied < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// blockPad is the padding after size bytes of content.
func blockPad(size int64) int64 { return (tarBlockSize - size%tarBlockSize) % tarBlockSize }
