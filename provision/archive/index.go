package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// ErrNotIndexed is returned when a file's content is read from an Index
// that did not keep it: the reader asked for more than the index promised.
var ErrNotIndexed = errors.New("content not kept in the tarball index")

// elfHeadSize is how much of every ELF file an index keeps: enough for the
// ELF header's class and machine, which tell a rootfs's architecture.
const elfHeadSize = 64

// Index is what one read of a tar stream leaves in memory: every entry's
// header (folders, symlinks, files, devices), and the content of the files
// a Keep rule asked for. It is a read-only root filesystem (inroot.FS), so
// the code that plans against a target folder plans against a tarball too,
// without unpacking it. Memory grows with the number of entries, never
// with their content beyond what Keep asks for.
type Index struct {
	name    string
	entries map[string]*indexEntry
	// Newest is the latest modification time of any entry.
	Newest time.Time
}

type indexEntry struct {
	hdr  tar.Header // without PAX records: they are not needed here
	data []byte     // kept content, or an ELF file's first bytes
	kept bool       // data is the whole content
	kids []string   // a folder's members (names), filled at the end
}

// KeepRule tells whether an index keeps the content of the regular file
// with the cleaned name and size.
type KeepRule func(name string, size int64) bool

// NewIndex reads the plain tar stream r to its end. name is what messages
// call it (the tarball's path). Entry names are cleaned as Extract cleans
// them and refused the same way when they would leave the root.
func NewIndex(ctx context.Context, r io.Reader, name string, keep KeepRule) (*Index, error) {
	x := &Index{name: name, entries: map[string]*indexEntry{}}
	x.entries["."] = &indexEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Mode: 0o755}}
	tr := newTarReader(ctx, r)
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tar header after %d entries: %w", n, err)
		}
		if err := x.add(hdr, tr, keep); err != nil {
			return nil, &EntryError{Name: hdr.Name, Err: err}
		}
	}
	x.link()
	return x, nil
}

func (x *Index) add(hdr *tar.Header, body io.Reader, keep KeepRule) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, typeGNUVolHeader:
		return nil
	}
	name, err := cleanEntryName(hdr.Name)
	if err != nil {
		return err
	}
	e := &indexEntry{hdr: *hdr}
	e.hdr.PAXRecords, e.hdr.Xattrs = nil, nil
	switch hdr.Typeflag {
	case tar.TypeDir, typeGNUDumpDir:
		e.hdr.Typeflag = tar.TypeDir
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		e.hdr.Typeflag = tar.TypeReg
		if err := e.read(name, body, keep); err != nil {
			return err
		}
	case tar.TypeLink:
		target, err := cleanEntryName(hdr.Linkname)
		if err != nil {
			return fmt.Errorf("hardlink target: %w", err)
		}
		first, ok := x.entries[target]
		if !ok || first.hdr.Typeflag == tar.TypeDir {
			return fmt.Errorf("%w: %q", ErrHardlinkTarget, hdr.Linkname)
		}
		// One file under two names: the same entry.
		e = first
	case tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	default:
		return fmt.Errorf("%w %q", ErrUnsupportedEntry, string(rune(hdr.Typeflag)))
	}
	if name == "." && e.hdr.Typeflag != tar.TypeDir {
		return fmt.Errorf("%w: a %s would replace the root folder itself", ErrUnsafePath, typeName(hdr.Typeflag))
	}
	if hdr.ModTime.After(x.Newest) {
		x.Newest = hdr.ModTime
	}
	x.entries[name] = e
	// Members listed before their folders: the folders exist implicitly.
	for dir := path.Dir(name); dir != "." && x.entries[dir] == nil; dir = path.Dir(dir) {
		x.entries[dir] = &indexEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Mode: 0o755}}
	}
	return nil
}

// read keeps a file's content when asked, or the head of an ELF file.
func (e *indexEntry) read(name string, body io.Reader, keep KeepRule) error {
	if keep != nil && keep(name, e.hdr.Size) {
		data, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("read content: %w", err)
		}
		e.data, e.kept = data, true
		return nil
	}
	head := make([]byte, min(e.hdr.Size, elfHeadSize))
	if _, err := io.ReadFull(body, head); err != nil {
		return fmt.Errorf("read content: %w", err)
	}
	if bytes.HasPrefix(head, []byte("\x7fELF")) {
		e.data = head
		e.kept = int64(len(head)) == e.hdr.Size
	}
	// The rest is passed over by the tar reader: seeking in a plain tar
	// file, so indexing a big one reads little more than its headers.
	return nil
}

// link fills each folder's member list, sorted: the names are sorted
// once, so that each list is built in order (the same work on every read,
// whatever order the map gives).
func (x *Index) link() {
	names := make([]string, 0, len(x.entries))
	for name := range x.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != "." {
			parent := x.entries[path.Dir(name)]
			parent.kids = append(parent.kids, path.Base(name))
		}
	}
}

// Name is the tarball's name, for messages.
func (x *Index) Name() string { return x.name }

// Header returns the header of the entry with the local name (cleaned,
// not resolved through symlinks).
func (x *Index) Header(name string) (*tar.Header, bool) {
	e, ok := x.entries[path.Clean(name)]
	if !ok {
		return nil, false
	}
	return &e.hdr, true
}

// Walk calls fn for every entry's local name and header, names sorted.
func (x *Index) Walk(fn func(name string, hdr *tar.Header)) {
	names := make([]string, 0, len(x.entries))
	for n := range x.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fn(n, &x.entries[n].hdr)
	}
}

func (x *Index) lookup(op, name string) (*indexEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e, ok := x.entries[name]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

// Lstat describes the entry itself, a symlink as a symlink.
func (x *Index) Lstat(name string) (fs.FileInfo, error) {
	e, err := x.lookup("lstat", name)
	if err != nil {
		return nil, err
	}
	return e.info(path.Base(name)), nil
}

// Readlink returns a symlink's target as written.
func (x *Index) Readlink(name string) (string, error) {
	e, err := x.lookup("readlink", name)
	if err != nil {
		return "", err
	}
	if e.hdr.Typeflag != tar.TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return e.hdr.Linkname, nil
}

// ReadFile returns a kept file's content. Names are not resolved through
// symlinks: callers resolve them first (inroot.Resolve).
func (x *Index) ReadFile(name string) ([]byte, error) {
	e, err := x.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if e.hdr.Typeflag != tar.TypeReg {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	if !e.kept {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrNotIndexed}
	}
	return bytes.Clone(e.data), nil
}

// FS is the index as an fs.FS, for Open and ReadDir.
func (x *Index) FS() fs.FS { return indexFS{x} }

type indexFS struct{ x *Index }

func (f indexFS) Open(name string) (fs.File, error) {
	e, err := f.x.lookup("open", name)
	if err != nil {
		return nil, err
	}
	return &indexFile{x: f.x, e: e, name: name, r: bytes.NewReader(e.data)}, nil
}

// indexFile is an open entry: a folder lists its members; a file reads
// what the index kept and fails past that with ErrNotIndexed.
type indexFile struct {
	x    *Index
	e    *indexEntry
	name string
	r    *bytes.Reader
	read int // members already returned by ReadDir
}

func (f *indexFile) Stat() (fs.FileInfo, error) { return f.e.info(path.Base(f.name)), nil }
func (f *indexFile) Close() error               { return nil }

func (f *indexFile) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF && !f.e.kept {
		return n, &fs.PathError{Op: "read", Path: f.name, Err: ErrNotIndexed}
	}
	return n, err
}

func (f *indexFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(p, off)
	if err == io.EOF && !f.e.kept {
		return n, &fs.PathError{Op: "read", Path: f.name, Err: ErrNotIndexed}
	}
	return n, err
}

func (f *indexFile) ReadDir(count int) ([]fs.DirEntry, error) {
	if f.e.hdr.Typeflag != tar.TypeDir {
		return nil, &fs.PathError{Op: "readdir", Path: f.name, Err: fs.ErrInvalid}
	}
	rest := f.e.kids[f.read:]
	if count > 0 && len(rest) > count {
		rest = rest[:count]
	}
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	out := make([]fs.DirEntry, len(rest))
	for i, kid := range rest {
		kidName := kid
		if f.name != "." {
			kidName = f.name + "/" + kid
		}
		out[i] = fs.FileInfoToDirEntry(f.x.entries[kidName].info(kid))
	}
	f.read += len(rest)
	return out, nil
}

// info is the entry's fs.FileInfo; Sys is its *tar.Header.
func (e *indexEntry) info(base string) fs.FileInfo {
	info := e.hdr.FileInfo()
	return headerInfo{FileInfo: info, name: base, hdr: &e.hdr}
}

type headerInfo struct {
	fs.FileInfo
	name string
	hdr  *tar.Header
}

func (h headerInfo) Name() string { return h.name }
func (h headerInfo) Sys() any     { return h.hdr }

// String is for test failures.
func (x *Index) String() string {
	var b strings.Builder
	x.Walk(func(name string, hdr *tar.Header) { fmt.Fprintf(&b, "%s %c\n", name, hdr.Typeflag) })
	return b.String()
}
