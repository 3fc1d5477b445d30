package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/unix"
)

// file creates a regular file and streams its content through the one
// reused buffer. O_EXCL|O_NOFOLLOW: an existing name is removed first, a
// symlink there is never written through.
func (x *extractor) file(ctx context.Context, t target, hdr *tar.Header, tr *tarReader) error {
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
	if err := x.copyContent(ctx, fd, tr, keepsHoles(hdr)); err != nil {
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

// copyContent writes the entry's body to fd through the one reused
// buffer, with holes for its zero blocks when holes is set; the loop is
// where cancellation and progress are checked.
func (x *extractor) copyContent(ctx context.Context, fd int, tr *tarReader, holes bool) error {
	sparse := &sparseWriter{fd: fd}
	write := func(b []byte) error { return writeAll(fd, b) }
	if holes {
		write = sparse.write
	}
	for {
		n, rerr := tr.Read(x.buf)
		if n > 0 {
			if err := write(x.buf[:n]); err != nil {
				return fmt.Errorf("write content: %w", err)
			}
			x.stats.Bytes += int64(n)
			if x.opts.Progress != nil {
				x.opts.Progress(x.stats.Bytes)
			}
		}
		if rerr == io.EOF && holes {
			return sparse.finish()
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("read content (archive byte offset %d): %w", tr.offset(), rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched() // a big file too: see Extract
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
