package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Format names how a tarball is stored.
type Format string

// The formats Decompress recognises.
const (
	FormatTar   Format = "tar"
	FormatGzip  Format = "gzip"
	FormatXz    Format = "xz"
	FormatZstd  Format = "zstd"
	FormatBzip2 Format = "bzip2"
	FormatLz4   Format = "lz4"
)

// ErrUnknownFormat is returned (wrapped) when the input is neither a tar nor
// a compressed tar in one of the known formats.
var ErrUnknownFormat = errors.New("unknown archive format")

// formatHint is the "what to do" part of every format error.
const formatHint = "give a tar, tar.gz, tar.xz, tar.zst, tar.bz2 or tar.lz4"

// tarBlockSize is the size of a tar header block: enough bytes to tell a tar
// from anything else, and to see every compression magic.
const tarBlockSize = 512

// Decoded data travels from the decoder goroutine to the reader in chunks.
// chunkCount × chunkSize bounds the memory held ahead of the consumer (8 MiB),
// enough for the decoder to keep working while the consumer writes a file
// or waits for the disk; a chunk of 1 MiB makes a handoff between the two
// goroutines (a thread wake-up when one waits) rare: some 300 for a rootfs.
const (
	chunkSize  = 1 << 20
	chunkCount = 8
)

// magic bytes of the compressed formats, in the order they are tried.
var magics = []struct {
	format Format
	magic  []byte
}{
	{FormatGzip, []byte{0x1f, 0x8b}},
	{FormatXz, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{FormatZstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{FormatLz4, []byte{0x04, 0x22, 0x4d, 0x18}},
}

// formatError explains input that is not a tar, showing its first bytes so
// the user can recognise what they passed (a zip, an ext4 image, HTML...).
type formatError struct {
	what  string // "not a tar archive", "gzip data does not hold a tar archive"
	first []byte
}

func (e *formatError) Error() string {
	first := e.first
	if len(first) > 16 {
		first = first[:16]
	}
	if len(first) == 0 {
		return e.what + " (it is empty): " + formatHint
	}
	return fmt.Sprintf("%s (first bytes % x): %s", e.what, first, formatHint)
}

func (e *formatError) Is(target error) bool { return target == ErrUnknownFormat }

// Decompress detects the compression of r from its magic bytes (never a file
// name) and returns the plain tar stream. Compressed input is decoded in its
// own goroutine, overlapped with the consumer (bounded buffering); Close
// stops that goroutine and releases everything. Close does not close r.
func Decompress(r io.Reader) (io.ReadCloser, Format, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(tarBlockSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read archive: %w", err)
	}
	format, err := detect(head)
	if err != nil {
		return nil, "", err
	}
	if format == FormatTar {
		return io.NopCloser(br), FormatTar, nil
	}
	rc, err := decode(br, format, "")
	if err != nil {
		return nil, "", err
	}
	return rc, format, nil
}

// OpenTarball opens the file and returns its plain tar stream. A plain tar is
// returned as the *os.File itself, so a consumer may use it directly; Close
// closes the file (and stops the decoder of a compressed one).
func OpenTarball(path string) (io.ReadCloser, Format, error) {
	return OpenTarballContext(context.Background(), path)
}

// OpenTarballContext is OpenTarball whose reads from a pipe (a FIFO,
// /dev/stdin) end when ctx does: a writer that stalls would otherwise hold
// the run, and a signal's cancel with it, for good. Closing the pipe
// unblocks the read, which then fails. A file on disk never blocks.
func OpenTarballContext(ctx context.Context, path string) (io.ReadCloser, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // the path is in our message already
		}
		return nil, "", fmt.Errorf("open rootfs %q: %w: give the path of a tar or compressed tar", path, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, "", fmt.Errorf("open rootfs %q: is a folder, not a tarball", path)
	} else if err == nil && !st.Mode().IsRegular() {
		// A pipe (/dev/stdin, <(curl ...)) cannot be read at an offset.
		stop := context.AfterFunc(ctx, func() { f.Close() })
		rc, format, err := openStream(f, path)
		if err != nil {
			stop()
			return nil, "", err
		}
		rc.stop = stop
		return rc, format, nil
	}
	head := make([]byte, tarBlockSize)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, "", fmt.Errorf("open rootfs %q: %w", path, err)
	}
	format, err := detect(head[:n])
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("open rootfs %q: %w", path, err)
	}
	if format == FormatTar {
		return f, FormatTar, nil
	}
	if xz := systemXZ(); format == FormatXz && xz != "" {
		rc, err := openXZFile(xz, f, path)
		if err != nil {
			f.Close()
			return nil, "", err
		}
		return rc, format, nil
	}
	rc, err := decode(bufio.NewReaderSize(f, 256<<10), format, path)
	if err != nil {
		f.Close()
		if _, ok := err.(*formatError); ok {
			err = fmt.Errorf("open rootfs %q: %w", path, err)
		}
		return nil, "", err
	}
	rc.file = f
	return rc, format, nil
}

// openStream is OpenTarball for a file that can only be read in order.
func openStream(f *os.File, path string) (*streamCloser, Format, error) {
	rc, format, err := Decompress(f)
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("open rootfs %q: %w", path, err)
	}
	return &streamCloser{ReadCloser: rc, file: f}, format, nil
}

// streamCloser closes the decoded stream, then the file it reads.
type streamCloser struct {
	io.ReadCloser
	file *os.File
	stop func() bool // unregisters the close on cancel
}

func (s *streamCloser) Close() error {
	if s.stop != nil && !s.stop() {
		// Cancelled: the file is closed already, which failed the read.
		s.ReadCloser.Close()
		return nil
	}
	err := s.ReadCloser.Close()
	if ferr := s.file.Close(); err == nil {
		err = ferr
	}
	return err
}

// detect names the format of an input from its first bytes. A tar is tried
// first: its header checksum is a far stronger signature than "BZh", which a
// tar whose first entry is named "BZh9..." also starts with.
func detect(head []byte) (Format, error) {
	if isTar(head) {
		return FormatTar, nil
	}
	if format, ok := compression(head); ok {
		return format, nil
	}
	return "", &formatError{what: "not a tar archive", first: head}
}

// compression names the compressed format whose magic bytes start head,
// the one place they are sniffed.
func compression(head []byte) (Format, bool) {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.format, true
		}
	}
	// bzip2: "BZh" then the block size '1'..'9'.
	if len(head) >= 4 && string(head[:3]) == "BZh" && head[3] >= '1' && head[3] <= '9' {
		return FormatBzip2, true
	}
	return "", false
}

// maxMagicLen is the longest magic of magics (xz's).
const maxMagicLen = 6

// Uncompress returns r's bytes with the compression its first bytes name
// undone (gzip, xz, zstd, bzip2 or lz4); data that starts with none of
// them is returned as it is. It is for single files such as a kernel's
// config.gz (which /proc reports as size 0: sniff, never stat); tarballs go
// through Decompress, which also makes sure a tar comes out. Close releases
// the decoder, not r.
func Uncompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(maxMagicLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	format, ok := compression(head)
	if !ok {
		return io.NopCloser(br), nil
	}
	dec, release, err := decoderFor(br, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	return &decoded{Reader: dec, release: release}, nil
}

// decoded is a decoder read in the caller's goroutine.
type decoded struct {
	io.Reader
	release func()
}

func (d *decoded) Close() error {
	d.release()
	return nil
}

// isTar reports whether block starts a tar archive: a POSIX ("ustar\x00") or
// GNU ("ustar  \x00") header, a pre-POSIX (v7) header whose checksum is
// right, or an empty archive (its end marker: zero blocks).
func isTar(block []byte) bool {
	if len(block) < tarBlockSize {
		return false
	}
	block = block[:tarBlockSize]
	if bytes.Count(block, []byte{0}) == tarBlockSize {
		return true
	}
	magic := block[257:265]
	if bytes.HasPrefix(magic, []byte("ustar\x00")) || bytes.Equal(magic, []byte("ustar  \x00")) {
		// A damaged header past this point is the tar reader's to report,
		// with a better message than "not a tar".
		return true
	}
	// A v7 header has no magic: its checksum alone must vouch for it. The
	// checksum is the sum of the header's bytes with the checksum field
	// itself counted as spaces; old tars summed signed bytes, so accept both.
	field := bytes.Trim(block[148:156], " \x00")
	want, err := strconv.ParseInt(string(field), 8, 64)
	if err != nil || len(field) == 0 {
		return false
	}
	var unsigned, signed int64
	for i, b := range block {
		if i >= 148 && i < 156 {
			b = ' '
		}
		unsigned += int64(b)
		signed += int64(int8(b))
	}
	return want == unsigned || want == signed
}

// decoderFor wraps src in the decoder of format. The returned close function
// releases the decoder's own goroutines and buffers.
func decoderFor(src io.Reader, format Format) (io.Reader, func(), error) {
	switch format {
	case FormatGzip:
		// klauspost/compress inflates with the least CPU of the Go
		// decoders (BenchmarkGzipDecoders: 15% less than pgzip, 25% less
		// than the standard library's); it runs in the decoder goroutine,
		// ahead of the writer, so pgzip's own read-ahead goroutines would
		// only add handoffs.
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case FormatXz:
		if path := systemXZ(); path != "" {
			x, err := newXZCommand(path, src)
			if err != nil {
				return nil, nil, err
			}
			return x, x.release, nil
		}
		zr, err := xz.NewReader(src)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	case FormatZstd:
		zr, err := zstd.NewReader(src)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case FormatBzip2:
		return bzip2.NewReader(src), func() {}, nil
	case FormatLz4:
		return lz4.NewReader(src), func() {}, nil
	}
	return nil, nil, fmt.Errorf("%w: %q", ErrUnknownFormat, format)
}

// decode starts the decoder goroutine and checks that what comes out is a
// tar: a gzipped text file is no root filesystem.
// name is the file name for error messages, "" for a plain stream.
func decode(src io.Reader, format Format, name string) (*asyncReader, error) {
	a := newAsyncReader(format, name)
	go a.run(src)
	head, err := a.peek(tarBlockSize)
	if err != nil {
		a.Close()
		return nil, err
	}
	if !isTar(head) {
		a.Close()
		return nil, &formatError{what: string(format) + " data does not hold a tar archive", first: head}
	}
	return a, nil
}

// asyncReader runs a decoder in its own goroutine and hands its output to
// Read in chunks, so decoding overlaps with whatever the consumer does with
// the data. At most chunkCount chunks exist: the decoder waits for a free one.
type asyncReader struct {
	format   Format
	name     string   // file name for errors, "" for a plain stream
	file     *os.File // closed by Close when OpenTarball opened it
	filled   chan []byte
	free     chan []byte
	done     chan struct{} // closed by Close: the decoder must stop
	finished chan struct{} // closed by the decoder goroutine when it returns
	err      error         // decoder error; read only after filled is closed

	cur       []byte // unread part of the current chunk
	curChunk  []byte // the whole current chunk, returned to free when used up
	closeOnce sync.Once
	closeErr  error
}

func newAsyncReader(format Format, name string) *asyncReader {
	a := &asyncReader{
		format:   format,
		name:     name,
		filled:   make(chan []byte, chunkCount),
		free:     make(chan []byte, chunkCount),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	for range chunkCount {
		a.free <- make([]byte, chunkSize)
	}
	return a
}

// run is the decoder goroutine: it fills free chunks until the data ends,
// fails, or Close asks it to stop.
func (a *asyncReader) run(src io.Reader) {
	defer close(a.finished)
	defer close(a.filled)
	dec, release, err := decoderFor(src, a.format)
	if err != nil {
		a.err = a.wrap(err)
		return
	}
	defer release()
	for {
		var chunk []byte
		select {
		case chunk = <-a.free:
		case <-a.done:
			return
		}
		n, err := fill(dec, chunk[:cap(chunk)])
		if n > 0 {
			// filled has room for every chunk, so this never blocks.
			a.filled <- chunk[:n]
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			a.err = a.wrap(err)
			return
		}
	}
}

// fill reads into buf until it is full or the reader fails; unlike
// io.ReadFull it keeps io.EOF and a decoder's io.ErrUnexpectedEOF apart.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// wrap turns a decoder error into one that says what went wrong and what to do.
func (a *asyncReader) wrap(err error) error { return decodeError(a.format, a.name, err) }

// decodeError says that the compressed data of the file name ("" for a
// plain stream) could not be decoded, and what to do.
func decodeError(format Format, name string, err error) error {
	where := ""
	if name != "" {
		where = fmt.Sprintf("read rootfs %q: ", name)
	}
	return fmt.Errorf("%s%s data is truncated or corrupt: %w: produce the archive again", where, format, err)
}

// next makes the next filled chunk current; false at the end of the data.
func (a *asyncReader) next() bool {
	if a.curChunk != nil {
		a.free <- a.curChunk[:cap(a.curChunk)] // free has room for every chunk
		a.curChunk = nil
	}
	chunk, ok := <-a.filled
	if !ok {
		return false
	}
	a.cur, a.curChunk = chunk, chunk
	return true
}

// end is the error Read returns once no data is left.
func (a *asyncReader) end() error {
	select {
	case <-a.done:
		return fs.ErrClosed
	default:
	}
	if a.err != nil {
		return a.err
	}
	return io.EOF
}

// peek returns the first n bytes without consuming them (fewer when the data
// is shorter). A chunk holds chunkSize bytes unless the data ends, so the
// first chunk holds them all.
func (a *asyncReader) peek(n int) ([]byte, error) {
	if len(a.cur) == 0 && !a.next() {
		if err := a.end(); err != io.EOF {
			return nil, err
		}
		return nil, nil
	}
	return a.cur[:min(n, len(a.cur))], nil
}

// Read implements io.Reader.
func (a *asyncReader) Read(p []byte) (int, error) {
	select {
	case <-a.done:
		return 0, fs.ErrClosed
	default:
	}
	if len(p) == 0 {
		return 0, nil
	}
	for len(a.cur) == 0 {
		if !a.next() {
			return 0, a.end()
		}
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the decoder goroutine, waits for it to return and releases the
// decoder (and the file, when OpenTarball opened it). The goroutine stops at
// its next chunk boundary, so Close waits at most for one chunk to be decoded.
func (a *asyncReader) Close() error {
	a.closeOnce.Do(func() {
		close(a.done)
		<-a.finished
		a.cur, a.curChunk = nil, nil
		if a.file != nil {
			a.closeErr = a.file.Close()
		}
	})
	return a.closeErr
}
