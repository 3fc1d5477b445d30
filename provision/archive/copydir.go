package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// CopyDir copies the folder src into the existing, empty folder dest
// faithfully: each path of the walk WriteTar makes is described by the
// header WriteTar would write and created by Extract's code for that
// header, so a folder source passes through every safety rule of a
// tarball source; only the bytes take a shorter way, copied by the kernel
// (copy_file_range) from the source file into the new one. A file with
// holes gets holes where it has zero blocks.
// dest gets src's own owner, mode and times. When dest lies inside src (the
// target copied into one of its own folders) it is left out of the walk.
// skip is WriteTar's.
func CopyDir(ctx context.Context, src, dest string, skip func(rel string, info fs.FileInfo) SkipAction, opts ExtractOptions) (Stats, error) {
	var st, sst unix.Stat_t
	if err := unix.Stat(dest, &st); err != nil {
		return Stats{}, fmt.Errorf("copy destination: %w", err)
	}
	if err := unix.Stat(src, &sst); err != nil {
		return Stats{}, fmt.Errorf("copy source: %w", err)
	}
	if st.Dev == sst.Dev && st.Ino == sst.Ino {
		return Stats{}, fmt.Errorf("copy %q into itself: pick another destination", src)
	}
	exclude := map[fileID]bool{{uint64(st.Dev), uint64(st.Ino)}: true}

	root, err := os.OpenRoot(dest)
	if err != nil {
		return Stats{}, fmt.Errorf("open copy destination: %w", err)
	}
	defer root.Close()
	x, err := newExtractor(root, opts)
	if err != nil {
		return Stats{}, err
	}
	defer x.dirs.close()
	w := newTarWalker(true)
	err = walkTree(ctx, src, skip, exclude, func(p, rel string, info fs.FileInfo, st *syscall.Stat_t) error {
		hdr, err := w.header(p, rel, info, st)
		if err != nil {
			return fmt.Errorf("read source %q: %w", p, err)
		}
		if err := x.entry(ctx, hdr, sourceFile{path: p, size: hdr.Size}); err != nil {
			return &EntryError{Name: hdr.Name, Err: err}
		}
		return nil
	})
	if err == nil {
		err = x.finishDirs()
	}
	if err != nil {
		return x.stats, fmt.Errorf("copy %q: %w", src, err)
	}
	return x.stats, nil
}

// sourceFile is the content of a regular file of a folder source: size
// bytes, the size its lstat gave.
type sourceFile struct {
	path string
	size int64
}

// writeTo copies the file into fd. A file that changed size while being
// copied is an error, not a silently wrong copy (more bytes are left out,
// as a tar of it would).
func (s sourceFile) writeTo(ctx context.Context, x *extractor, fd int, holes bool) error {
	src, err := unix.Open(s.path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open source %q: %w", s.path, err)
	}
	defer unix.Close(src)
	readErr := func(err error) error { return fmt.Errorf("read source %q: %w", s.path, err) }
	var copied int64
	if !holes {
		// The kernel copies the bytes (or clones them, where the
		// filesystem can); it may refuse (another filesystem type, an
		// old kernel), and the rest goes through the buffer.
		copied, err = x.copyRange(ctx, src, fd, s.size)
		if err != nil {
			return err
		}
	}
	if copied < s.size {
		// The rest (a file with holes: all of it) through the buffer, so
		// zero blocks become holes as they do for a tarball's files.
		r := &fdReader{fd: src, left: s.size - copied}
		if err := x.copyContent(ctx, fd, r, holes, readErr); err != nil {
			return err
		}
		copied = s.size - r.left
	}
	if copied != s.size {
		return readErr(fmt.Errorf("file shrank from %d to %d bytes while being copied", s.size, copied))
	}
	return nil
}

// copyRange copies up to n bytes from src to dst with copy_file_range at
// both files' offsets, in chunks so that cancellation and progress are
// checked; it returns how much it copied, less than n when the kernel
// cannot copy between these files or src ended early.
func (x *extractor) copyRange(ctx context.Context, src, dst int, n int64) (int64, error) {
	var done int64
	for done < n {
		m, err := unix.CopyFileRange(src, nil, dst, nil, int(min(n-done, copyRangeChunk)), 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) {
			return done, nil
		}
		if err != nil {
			return done, fmt.Errorf("copy content: %w", err)
		}
		if m == 0 {
			return done, nil // src shrank: the caller says so
		}
		done += int64(m)
		x.wrote(int64(m))
		if err := ctx.Err(); err != nil {
			return done, err
		}
	}
	return done, nil
}

// copyRangeChunk is how much one copy_file_range call copies at most.
const copyRangeChunk = 8 << 20

// fdReader reads at most left bytes from the descriptor fd (no *os.File:
// its finalizer would close a descriptor the caller closes).
type fdReader struct {
	fd   int
	left int64
}

func (r *fdReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	for {
		n, err := unix.Read(r.fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		r.left -= int64(n)
		return n, nil
	}
}
