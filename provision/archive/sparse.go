package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// holeBlock is the size of the zero blocks that become holes: a
// filesystem block, the unit a hole is made of.
const holeBlock = 4096

var zeroBlock [holeBlock]byte

// holesRecord marks, in the stream CopyDir passes from its folder walk to
// Extract, a file whose source has holes. Only that stream carries it
// (WriteTar's output never does: GNU tar would warn about an unknown
// keyword).
const holesRecord = "THUNDERLXC.holes"

// keepsHoles tells whether a file's zero blocks are written as holes: a
// file stored sparse in the archive (GNU or PAX sparse: archive/tar hands
// its holes over as zeros), or a folder source's file that had holes. A
// 4 GiB sparse file in a 2 MB tarball would otherwise take 4 GiB of disk.
// Other files are written byte for byte, as GNU tar does: a file with
// zero blocks is not made sparse behind its owner's back (a swap file
// must not have holes).
func keepsHoles(hdr *tar.Header) bool {
	_, marked := hdr.PAXRecords[holesRecord]
	return marked || isSparse(hdr)
}

// sparseWriter writes a file's content at increasing offsets, leaving a
// hole for every zero block aligned to holeBlock in the file.
type sparseWriter struct {
	fd  int
	off int64 // bytes of content given so far
}

// write writes b, which continues the content at w.off.
func (w *sparseWriter) write(b []byte) error {
	start := w.off // offset of the data run not yet written
	run := b[:0]
	for len(b) > 0 {
		n := holeBlock - int(w.off%holeBlock)
		if n > len(b) {
			n = len(b)
		}
		block := b[:n]
		if n == holeBlock && bytes.Equal(block, zeroBlock[:]) {
			if err := pwriteAll(w.fd, run, start); err != nil {
				return err
			}
			start, run = w.off+int64(n), b[n:n]
		} else {
			run = run[:len(run)+n]
		}
		w.off += int64(n)
		b = b[n:]
	}
	return pwriteAll(w.fd, run, start)
}

// finish gives the file its full size: a trailing hole is not written.
func (w *sparseWriter) finish() error {
	if err := unix.Ftruncate(w.fd, w.off); err != nil {
		return fmt.Errorf("set the size of a sparse file: %w", err)
	}
	return nil
}

// pwriteAll writes b at off completely, retrying short writes and EINTR.
func pwriteAll(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(fd, b, off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("write at offset %d: no progress", off)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
