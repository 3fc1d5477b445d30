package archive

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"golang.org/x/sys/unix"
)

// CopyDir copies the folder src into the existing, empty folder dest
// faithfully: WriteTar piped into Extract, so a folder source passes
// through the very code path (and every safety rule) of a tarball source.
// A file with holes gets holes where it has zero blocks.
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	walked := make(chan error, 1)
	go func() {
		err := writeTar(ctx, pw, src, skip, exclude, true)
		pw.CloseWithError(err)
		walked <- err
	}()
	stats, err := Extract(ctx, pr, dest, opts)
	if err != nil {
		// A walker failure reaches Extract as its read error, so err names
		// it either way; closing the pipe unblocks a walker still writing.
		cancel()
		pr.CloseWithError(err)
		<-walked
		return stats, fmt.Errorf("copy %q: %w", src, err)
	}
	if err := <-walked; err != nil {
		return stats, fmt.Errorf("copy %q: %w", src, err)
	}
	return stats, nil
}
