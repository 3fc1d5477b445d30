package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SkipAction is what WriteTar does with one path of the source.
type SkipAction int

const (
	// Keep writes the path (a folder: with everything below it).
	Keep SkipAction = iota
	// SkipEntry leaves the path out; for a folder, its whole subtree and
	// the folder itself.
	SkipEntry
	// KeepDirOnly writes a folder with its metadata but none of its
	// contents: /proc, /sys, /dev of a live system. For anything else it
	// means Keep.
	KeepDirOnly
)

// WriteTar writes a faithful tar stream of the folder src to w: PAX format,
// numeric IDs (no user names), xattrs as SCHILY.xattr.*, hardlinks detected
// by device and inode, devices, FIFOs, symlinks as written, mtimes with
// nanoseconds. The root folder itself is the entry "./" (so its owner, mode
// and times travel too); every other name is relative to src, slash
// separated ("etc/passwd", folders with a trailing "/"), in lexical order.
// skip, when non-nil, is asked for every path but the root, with its
// relative name and lstat info. Unix sockets are left out: tar cannot hold
// them. Symlinks are never followed; src itself may be one.
func WriteTar(ctx context.Context, w io.Writer, src string, skip func(rel string, info fs.FileInfo) SkipAction) error {
	t := newTarWalker(false)
	t.tw = tar.NewWriter(w)
	if err := walkTree(ctx, src, skip, nil, t.write); err != nil {
		return err
	}
	if err := t.tw.Close(); err != nil {
		return fmt.Errorf("finish tar stream: %w", err)
	}
	return nil
}

// fileID identifies an inode across the walk.
type fileID struct{ dev, ino uint64 }

// tarWalker holds the state of one WriteTar, or of the walk of one
// CopyDir (which has no tar writer).
type tarWalker struct {
	tw    *tar.Writer
	links map[fileID]string
	// markHoles marks files with holes for Extract (holesRecord).
	markHoles bool
	buf       []byte
	xbuf      []byte
}

func newTarWalker(markHoles bool) *tarWalker {
	return &tarWalker{links: make(map[fileID]string), xbuf: make([]byte, 4096), markHoles: markHoles}
}

// WalkTree calls fn for every path of the folder src that WriteTar would
// write, in the same order, with its relative name ("." first, then
// slash-separated names in lexical walk order) and lstat info: for a
// program that archives a tree from a list of names (GNU tar -T with
// --no-recursion). skip is WriteTar's.
func WalkTree(ctx context.Context, src string, skip func(rel string, info fs.FileInfo) SkipAction, fn func(rel string, info fs.FileInfo) error) error {
	return walkTree(ctx, src, skip, nil, func(_, rel string, info fs.FileInfo, _ *syscall.Stat_t) error {
		return fn(rel, info)
	})
}

// walkTree is the one walk of a source folder: it applies skip (never to
// the root), leaves out sockets (tar cannot hold them) and the folders in
// exclude, and calls visit for every path that stays, with its build-host
// path, relative name and lstat. src itself may be a symlink; nothing below
// it is followed.
func walkTree(ctx context.Context, src string, skip func(string, fs.FileInfo) SkipAction, exclude map[fileID]bool,
	visit func(p, rel string, info fs.FileInfo, st *syscall.Stat_t) error) error {
	resolvedSrc, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("source folder: %w", err)
	}
	return filepath.WalkDir(resolvedSrc, func(p string, d fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			return fmt.Errorf("read source %q: %w", p, walkErr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(resolvedSrc, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat source %q: %w", p, err)
		}
		// The lstat d.Info made, once: os.Lstat's Sys is a
		// *syscall.Stat_t (a *unix.Stat_t never is: looking for one made
		// every path stat twice).
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("stat source %q: no stat data", p)
		}
		isDir := info.IsDir()
		if isDir && exclude[fileID{uint64(st.Dev), uint64(st.Ino)}] {
			return fs.SkipDir
		}
		action := Keep
		if rel != "." && skip != nil {
			action = skip(rel, info)
		}
		if action == SkipEntry {
			if isDir {
				return fs.SkipDir
			}
			return nil
		}
		if info.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		if err := visit(p, rel, info, st); err != nil {
			return err
		}
		if isDir && action == KeepDirOnly {
			return fs.SkipDir
		}
		return nil
	})
}

// write emits one header, and the content of a regular file.
func (t *tarWalker) write(p, rel string, info fs.FileInfo, st *syscall.Stat_t) error {
	hdr, err := t.header(p, rel, info, st)
	if err == nil {
		err = t.tw.WriteHeader(hdr)
	}
	if err == nil && hdr.Typeflag == tar.TypeReg {
		err = t.copyFile(p, hdr.Size)
	}
	if err != nil {
		return fmt.Errorf("archive %q: %w", p, err)
	}
	return nil
}

// header describes one path of the source as a tar header: a hardlink to
// its first name when its inode was met before, its xattrs, and (when
// markHoles) whether it has holes.
func (t *tarWalker) header(p, rel string, info fs.FileInfo, st *syscall.Stat_t) (*tar.Header, error) {
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec)),
		Format:  tar.FormatPAX,
	}
	id := fileID{uint64(st.Dev), uint64(st.Ino)}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		if rel == "." {
			hdr.Name = "./"
		}
	case unix.S_IFREG:
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	case unix.S_IFLNK:
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil, fmt.Errorf("unsupported file type %v", info.Mode().Type())
	}
	// Hardlinks are kept for every type but folders (GNU tar keeps them
	// for regular files only; Extract handles them all).
	if hdr.Typeflag != tar.TypeDir && st.Nlink > 1 {
		if first, ok := t.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size, hdr.Devmajor, hdr.Devminor = tar.TypeLink, first, 0, 0, 0
			return hdr, nil
		}
		t.links[id] = rel
	}
	if err := t.readXattrs(p, hdr); err != nil {
		return nil, err
	}
	// Fewer blocks than the size needs: the file has holes.
	if t.markHoles && hdr.Typeflag == tar.TypeReg && st.Blocks*512 < st.Size {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[holesRecord] = "1"
	}
	return hdr, nil
}

// copyFile streams exactly size bytes; a file that changed size while being
// archived is an error, not a silently wrong copy.
func (t *tarWalker) copyFile(p string, size int64) error {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if t.buf == nil {
		t.buf = make([]byte, copyBufferSize)
	}
	n, err := io.CopyBuffer(t.tw, io.LimitReader(f, size), t.buf)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("file shrank from %d to %d bytes while being read", size, n)
	}
	return nil
}

// readXattrs stores every extended attribute of p, without following it.
func (t *tarWalker) readXattrs(p string, hdr *tar.Header) error {
	names, err := t.listXattrs(p)
	if err != nil {
		return err
	}
	for _, name := range names {
		value, err := t.getXattr(p, name)
		if errors.Is(err, unix.ENODATA) {
			continue // removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("read xattr %s: %w", name, err)
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = make(map[string]string)
		}
		hdr.PAXRecords[paxXattrPrefix+name] = string(value)
	}
	return nil
}

func (t *tarWalker) listXattrs(p string) ([]string, error) {
	for {
		n, err := unix.Llistxattr(p, t.xbuf)
		if errors.Is(err, unix.ERANGE) {
			t.xbuf = make([]byte, 2*len(t.xbuf))
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list xattrs: %w", err)
		}
		var names []string
		for _, b := range splitNul(t.xbuf[:n]) {
			names = append(names, string(b))
		}
		return names, nil
	}
}

func (t *tarWalker) getXattr(p, name string) ([]byte, error) {
	for {
		n, err := unix.Lgetxattr(p, name, t.xbuf)
		if errors.Is(err, unix.ERANGE) {
			t.xbuf = make([]byte, 2*len(t.xbuf))
			continue
		}
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), t.xbuf[:n]...), nil
	}
}

func splitNul(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}
