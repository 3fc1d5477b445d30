package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// content is where a regular file's content comes from: the tar stream,
// or a file of a folder source.
type content interface {
	// writeTo writes the content into the new file fd, with holes for its
	// zero blocks when holes is set.
	writeTo(ctx context.Context, x *extractor, fd int, holes bool) error
}

// file creates a regular file and writes its content. O_EXCL|O_NOFOLLOW:
// an existing name is removed first, a symlink there is never written
// through.
func (x *extractor) file(ctx context.Context, t target, hdr *tar.Header, body content) error {
	var fd int
	err := x.create(t, func() (err error) {
		fd, err = unix.Openat(t.dirfd, t.base,
			unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(hdr.Mode)&0o777)
		return err
	})
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	// A raw fd, not an *os.File: os.NewFile costs an fcntl per file, and
	// a rootfs is mostly small files.
	closed := false
	defer func() {
		if !closed {
			unix.Close(fd)
		}
	}()
	if err := body.writeTo(ctx, x, fd, keepsHoles(hdr)); err != nil {
		return err
	}
	if err := x.applyMeta(t, fd, hdr, false); err != nil {
		return err
	}
	closed = true
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("close file: %w", err)
	}
	x.stats.Files++
	return nil
}

// writeTo streams the entry's content from the archive.
func (tr *tarReader) writeTo(ctx context.Context, x *extractor, fd int, holes bool) error {
	return x.copyContent(ctx, fd, tr, holes, func(err error) error {
		return fmt.Errorf("read content (archive byte offset %d): %w", tr.offset(), err)
	})
}

// copyContent writes what r holds to fd through the one reused buffer,
// with holes for its zero blocks when holes is set; the loop is where
// cancellation and progress are checked. readErr words a read error.
func (x *extractor) copyContent(ctx context.Context, fd int, r io.Reader, holes bool, readErr func(error) error) error {
	sparse := &sparseWriter{fd: fd}
	write := func(b []byte) error { return writeAll(fd, b) }
	if holes {
		write = sparse.write
	}
	for {
		n, rerr := r.Read(x.buf)
		if n > 0 {
			if err := write(x.buf[:n]); err != nil {
				return fmt.Errorf("write content: %w", err)
			}
			x.wrote(int64(n))
		}
		if rerr == io.EOF && holes {
			return sparse.finish()
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return readErr(rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// wrote counts n bytes of content written and tells Progress.
func (x *extractor) wrote(n int64) {
	x.stats.Bytes += n
	if x.opts.Progress != nil {
		x.opts.Progress(x.stats.Bytes)
	}
}

// writeAll writes b completely, retrying short writes and EINTR.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		b = b[n:]
	}
	return nil
}
