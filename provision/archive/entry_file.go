package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// file creates a regular file and streams its content through the one
// reused buffer. O_EXCL|O_NOFOLLOW: an existing name is removed first, a
// symlink there is never written through.
func (x *extractor) file(ctx context.Context, t target, hdr *tar.Header, body io.Reader, in *countingReader) error {
	var fd int
	err := x.create(t, func() (err error) {
		fd, err = unix.Openat(t.dirfd, t.base,
			unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(hdr.Mode)&0o777)
		return err
	})
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	f := os.NewFile(uintptr(fd), t.resolved)
	defer f.Close()
	if err := x.copyContent(ctx, f, body, in); err != nil {
		return err
	}
	if err := x.applyMeta(t, fd, hdr, false); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close file: %w", err)
	}
	x.stats.Files++
	return nil
}

// copyContent writes the entry's body to f. Not io.CopyBuffer: *os.File's
// ReadFrom would bypass our buffer with a pooled one of its own, and the
// loop is where cancellation and progress are checked.
func (x *extractor) copyContent(ctx context.Context, f *os.File, body io.Reader, in *countingReader) error {
	for {
		n, rerr := body.Read(x.buf)
		if n > 0 {
			if _, err := f.Write(x.buf[:n]); err != nil {
				return fmt.Errorf("write content: %w", err)
			}
			x.stats.Bytes += int64(n)
			if x.opts.Progress != nil {
				x.opts.Progress(x.stats.Bytes)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("read content (archive byte offset %d): %w", in.n, rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
