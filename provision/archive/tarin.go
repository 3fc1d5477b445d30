package archive

import (
	"archive/tar"
	"context"
	"io"
	"os"
)

// TarInput reads a tarball entry by entry, like tar.Reader. When the
// tarball is a plain tar file it also knows where each entry lies in the
// file, so an entry can be copied as it is (Raw) or its content taken as a
// file range (BodyRange): the kernel then copies the bytes.
type TarInput struct {
	tr     *tarReader
	closer io.Closer
	file   *os.File // the plain tar file, else nil
}

// OpenTarInput opens a tarball (any compression) for reading.
func OpenTarInput(path string) (*TarInput, error) {
	r, _, err := OpenTarball(path)
	if err != nil {
		return nil, err
	}
	in := &TarInput{closer: r, tr: newTarReader(context.Background(), r)}
	in.file, _ = r.(*os.File)
	return in, nil
}

// Close closes the tarball.
func (in *TarInput) Close() error { return in.closer.Close() }

// Next moves to the next entry; io.EOF at the end of a complete archive.
func (in *TarInput) Next() (*tar.Header, error) { return in.tr.Next() }

// Body reads the current entry's content.
func (in *TarInput) Body() io.Reader { return in.tr }

// BodyRange tells where the current regular file's content lies in the
// tarball file; ok is false when it cannot be copied as a range (a
// compressed tarball, sparse content).
func (in *TarInput) BodyRange() (f *os.File, off int64, ok bool) {
	if in.file == nil || in.tr.next < 0 || !hasContent(in.tr.hdr) || in.tr.hdr.Typeflag == tar.TypeGNUSparse {
		return nil, 0, false
	}
	return in.file, in.tr.body, true
}

// Raw tells where the current entry lies in the tarball file, header
// blocks, content and padding, to copy it unchanged; ok is false when that
// is not possible (a compressed tarball, sparse content).
func (in *TarInput) Raw() (f *os.File, off, n int64, ok bool) {
	if in.file == nil || in.tr.next < 0 {
		return nil, 0, 0, false
	}
	return in.file, in.tr.start, in.tr.next - in.tr.start, true
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
	if len(h.PAXRecords) == 0 {
		return false
	}
	// GNU's PAX sparse formats: 0.0 and 0.1 give a map, 1.0 a version.
	// A file with any of these is taken as sparse, as archive/tar takes it
	// or more often (an unknown version), never less.
	return h.PAXRecords["GNU.sparse.major"] != "" || h.PAXRecords["GNU.sparse.minor"] != "" ||
		h.PAXRecords["GNU.sparse.map"] != ""
}
