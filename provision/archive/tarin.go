package archive

import (
	"archive/tar"
	"io"
	"os"
	"strings"
)

// TarInput reads a tarball entry by entry, like tar.Reader. When the
// tarball is a plain tar file it also knows where each entry lies in the
// file, so an entry can be copied as it is (Raw) or its content taken as a
// file range (BodyRange): the kernel then copies the bytes.
type TarInput struct {
	tr     *tar.Reader
	closer io.Closer
	file   *os.File      // the plain tar file, else nil
	pos    *offsetReader // reads file, counting
	hdr    *tar.Header
	// start is where the current entry's header blocks begin, body where
	// its content does; next is where the entry after it begins (-1 while
	// unknown: sparse content is located only once read).
	start, body, next int64
}

// OpenTarInput opens a tarball (any compression) for reading.
func OpenTarInput(path string) (*TarInput, error) {
	r, _, err := OpenTarball(path)
	if err != nil {
		return nil, err
	}
	in := &TarInput{closer: r, next: 0}
	if f, ok := r.(*os.File); ok {
		in.file = f
		in.pos = &offsetReader{f: f}
		in.tr = tar.NewReader(in.pos)
	} else {
		in.tr = tar.NewReader(r)
	}
	return in, nil
}

// Close closes the tarball.
func (in *TarInput) Close() error { return in.closer.Close() }

// Next moves to the next entry; io.EOF at the end.
func (in *TarInput) Next() (*tar.Header, error) {
	if in.file != nil && in.next < 0 && in.hdr != nil {
		// Sparse content: read it out to learn where it ends.
		if _, err := io.Copy(io.Discard, in.tr); err != nil {
			return nil, err
		}
		in.next = in.pos.n + blockPad(in.pos.n)
	}
	hdr, err := in.tr.Next()
	if err != nil {
		return nil, err
	}
	in.hdr = hdr
	if in.file != nil {
		// tar.Reader reads header blocks exactly, never ahead: the file
		// offset is where the content starts.
		in.start, in.body = in.next, in.pos.n
		in.next = -1
		if !isSparse(hdr) {
			size := int64(0)
			if hasContent(hdr) {
				size = hdr.Size
			}
			in.next = in.body + size + blockPad(size)
		}
	}
	return hdr, nil
}

// Body reads the current entry's content.
func (in *TarInput) Body() io.Reader { return in.tr }

// BodyRange tells where the current regular file's content lies in the
// tarball file; ok is false when it cannot be copied as a range (a
// compressed tarball, sparse content).
func (in *TarInput) BodyRange() (f *os.File, off int64, ok bool) {
	if in.file == nil || in.next < 0 || !hasContent(in.hdr) || in.hdr.Typeflag == tar.TypeGNUSparse {
		return nil, 0, false
	}
	return in.file, in.body, true
}

// Raw tells where the current entry lies in the tarball file, header
// blocks, content and padding, to copy it unchanged; ok is false when that
// is not possible (a compressed tarball, sparse content).
func (in *TarInput) Raw() (f *os.File, off, n int64, ok bool) {
	if in.file == nil || in.next < 0 {
		return nil, 0, 0, false
	}
	return in.file, in.start, in.next - in.start, true
}

// hasContent tells whether the entry carries content blocks: everything
// but the types tar.Reader reads as header only.
func hasContent(h *tar.Header) bool {
	switch h.Typeflag {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return false
	}
	return true
}

// isSparse tells whether the entry's content is stored sparse: its bytes in
// the tarball are not its Size bytes of content.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// offsetReader reads a file and knows its offset, also across the seeks
// tar.Reader makes to pass over content.
type offsetReader struct {
	f *os.File
	n int64
}

func (r *offsetReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.n += int64(n)
	return n, err
}

func (r *offsetReader) Seek(offset int64, whence int) (int64, error) {
	n, err := r.f.Seek(offset, whence)
	if err == nil {
		r.n = n
	}
	return n, err
}
