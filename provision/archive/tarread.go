package archive

import (
	"archive/tar"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrTruncated marks a tar stream that ends before its end-of-archive
	// marker: cut at an entry boundary, or inside padding, which
	// archive/tar alone reads as a complete, shorter archive.
	ErrTruncated = errors.New("tar archive is cut short")
	// ErrTrailingData marks bytes other than zeros after the end-of-archive
	// marker (two archives joined, or a damaged one).
	ErrTrailingData = errors.New("data after the end of the tar archive")
	// ErrSparseTooLarge marks a sparse file larger than maxSparseSize.
	ErrSparseTooLarge = errors.New("sparse file too large")
)

// maxSparseSize bounds the size of a file stored sparse. archive/tar hands
// a sparse file's holes over as zeros, which are read (and found to be
// zeros) at some 5 GB/s: a tarball of a few hundred bytes can claim a
// sparse file of 2^62 bytes and keep any reader busy for years. 64 GiB
// (some 15 s) is more than a root filesystem's disk image needs.
var maxSparseSize int64 = 64 << 30

// tarReader reads a tar stream as tar.Reader does (headerParser), with the
// end of the archive checked: the one way every reader of a rootfs tarball
// (Extract, Rewrite, NewIndex, TarInput) reads it. A tar reader stops at the
// end-of-archive marker and never reads what follows, so a compressed
// stream's checksum (gzip's CRC32 and length, zstd's frame checksum, xz's
// check, bzip2's and lz4's checksums, the system xz's exit status) would go
// unchecked and a corrupt tarball could be unpacked without a word. At the end, Next reads the stream to its very
// end: the marker must be there, only zeros (the record padding) may
// follow it, and the decoder must end cleanly.
type tarReader struct {
	*headerParser
	ctx context.Context
	src *endReader
	hdr *tar.Header
	// start is where the current entry's header blocks start, body where
	// its content does; next is where the entry after it starts, -1 while
	// unknown (sparse content is located only once read).
	start, body, next int64
}

func newTarReader(ctx context.Context, r io.Reader) *tarReader {
	src := &endReader{r: r}
	return &tarReader{headerParser: newHeaderParser(src), ctx: ctx, src: src}
}

// offset is how many bytes of the stream have been read.
func (t *tarReader) offset() int64 { return t.src.n }

// Next moves to the next entry; io.EOF at a complete archive's end, after
// the stream was checked to its end.
func (t *tarReader) Next() (*tar.Header, error) {
	if t.hdr != nil && t.next < 0 {
		// Sparse content: read it out to learn where it ends.
		if err := t.discardContent(); err != nil {
			return nil, err
		}
		t.next = t.src.n + blockPad(t.src.n)
	}
	hdr, err := t.headerParser.Next()
	if err == io.EOF {
		return nil, t.end()
	}
	if err != nil {
		return nil, err
	}
	t.hdr, t.start, t.body, t.next = hdr, t.next, t.src.n, -1
	if isSparse(hdr) && hdr.Size > maxSparseSize {
		return nil, fmt.Errorf("%w: %q claims %d bytes, more than the %d this tool unpacks", ErrSparseTooLarge, hdr.Name, hdr.Size, maxSparseSize)
	}
	if !isSparse(hdr) {
		// Headers are read exactly, never ahead: the offset is where the
		// content starts. A global PAX header's content is
		// read already.
		end := t.body
		if hasContent(hdr) {
			end += hdr.Size
		}
		t.next = end + blockPad(end)
	}
	return hdr, nil
}

// discardContent reads the rest of the current entry's content, heeding
// the context.
func (t *tarReader) discardContent() error {
	buf := make([]byte, 256<<10)
	for {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		if _, err := t.headerParser.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// end checks what archive/tar took for the end of the archive: at least
// one zero block where the next header was due (GNU tar and archive/tar
// stop at the first; two are written), then zeros only, then a clean end of
// the decoded stream.
func (t *tarReader) end() error {
	after := "at its start"
	if t.hdr != nil {
		after = fmt.Sprintf("after entry %q", t.hdr.Name)
	}
	if t.src.eof && (t.src.n-t.next < tarBlockSize || t.src.nonZeroEnd > t.next) {
		return fmt.Errorf("%w: the stream ends at byte offset %d %s, without the end-of-archive marker: "+
			"a full disk or a broken download? produce the archive again", ErrTruncated, t.src.n, after)
	}
	buf := make([]byte, 32<<10)
	for !t.src.eof {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		n, err := t.src.Read(buf)
		if t.src.nonZeroEnd > t.next {
			at := t.src.n - int64(n)
			for i := range n {
				if buf[i] != 0 {
					at += int64(i)
					break
				}
			}
			return fmt.Errorf("%w: bytes other than zeros at byte offset %d, after the end-of-archive marker %s: "+
				"two archives joined, or a damaged one? produce the archive again", ErrTrailingData, at, after)
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read the end of the tar stream: %w", err)
		}
	}
	return io.EOF
}

// endReader is what tar.Reader reads through: it counts the bytes, knows
// where the last non-zero byte ended, and hands io.EOF over only on a read
// that returns nothing, so that eof tells whether tar.Reader itself met
// the end of the stream. It seeks when the stream can (a plain tar file),
// which tar.Reader uses to pass over content.
type endReader struct {
	r          io.Reader
	n          int64
	nonZeroEnd int64 // offset just after the last non-zero byte read
	eofNext    bool
	eof        bool
}

func (e *endReader) Read(p []byte) (int, error) {
	if e.eofNext {
		e.eof = true
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if end := nonZeroEnd(p[:n]); end > 0 {
		e.nonZeroEnd = e.n + int64(end)
	}
	e.n += int64(n)
	if err == io.EOF {
		if n > 0 {
			e.eofNext, err = true, nil
		} else {
			e.eof = true
		}
	}
	return n, err
}

// nonZeroEnd is the length of b without its trailing zero bytes, looked
// for eight bytes at a time: a header block ends in some 170 zeros.
func nonZeroEnd(b []byte) int {
	i := len(b)
	for i >= 8 && binary.LittleEndian.Uint64(b[i-8:]) == 0 {
		i -= 8
	}
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return i
}

// errNoSeek tells tar.Reader to read what it passes over.
var errNoSeek = errors.New("stream cannot seek")

// Seek works when the stream is a file. Bytes passed over are content,
// never the end of the archive, so nonZeroEnd need not know them.
func (e *endReader) Seek(offset int64, whence int) (int64, error) {
	s, ok := e.r.(io.Seeker)
	if !ok || e.eofNext {
		return -1, errNoSeek
	}
	n, err := s.Seek(offset, whence)
	if err == nil {
		e.n = n
	}
	return n, err
}
