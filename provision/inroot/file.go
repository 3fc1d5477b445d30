package inroot

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// Stat stats name inside the root, following symlinks the target's way.
func Stat(root FS, name string) (fs.FileInfo, error) {
	resolved, err := Resolve(root, name, true)
	if err != nil {
		return nil, err
	}
	return root.Lstat(resolved)
}

// WriteFileAtomic replaces (or creates) name with data by writing a
// temporary file beside it and renaming it into place, so a reader sees the
// old or the new file, never a half-written one. An existing file keeps its
// mode, owner and extended attributes; a new one gets perm and the owner of
// its folder. A symlink at name is followed inside the root and its target
// is the file replaced.
func WriteFileAtomic(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	resolved, err := Resolve(root, name, true)
	if err != nil {
		return err
	}
	mode, uid, gid := perm, -1, -1
	var xattrs map[string][]byte
	if info, err := root.Lstat(resolved); err == nil {
		mode = info.Mode().Perm() | info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
		uid, gid = Owner(info)
		if xattrs, err = readXattrs(root, resolved); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	} else if dirInfo, err := root.Stat(path.Dir(resolved)); err == nil {
		uid, gid = Owner(dirInfo)
	}
	tmp, err := createTemp(root, path.Dir(resolved), path.Base(resolved))
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			root.Remove(tmp.relName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if uid >= 0 && os.Geteuid() == 0 {
		if err := tmp.Chown(uid, gid); err != nil {
			return err
		}
	}
	// After chown, which clears security.capability; before chmod.
	if err := writeXattrs(tmp.File, xattrs); err != nil {
		return err
	}
	// Chmod after chown: chown clears setuid/setgid bits.
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := root.Rename(tmp.relName, resolved); err != nil {
		return err
	}
	ok = true
	return nil
}

// tempFile is an open file plus its name relative to the root.
type tempFile struct {
	*os.File
	relName string
}

// Owner returns the numeric owner of a file, or -1, -1 when unknown.
func Owner(info fs.FileInfo) (uid, gid int) {
	switch sys := info.Sys().(type) {
	case *syscall.Stat_t:
		return int(sys.Uid), int(sys.Gid)
	case *tar.Header: // a tarball's index
		return sys.Uid, sys.Gid
	}
	return -1, -1
}

// ReadDir lists the folder dir of the root, sorted by name, following
// symlinks the target's way. A missing folder (or a file in its place) has
// no entries: callers look for things that may or may not be there.
func ReadDir(root FS, dir string) ([]fs.DirEntry, error) {
	resolved, err := Resolve(root, dir, true)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(root.FS(), resolved)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrInvalid) {
		return nil, nil
	}
	return entries, err
}

// ErrTargetNotFolder means a target is not a folder on the build host.
var ErrTargetNotFolder = errors.New("is not a folder")

// OpenTarget opens the build-host folder holding a device's root
// filesystem, with one error (ErrTargetNotFolder) when it is not one.
func OpenTarget(dir string) (*os.Root, error) {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("target %q %w", dir, ErrTargetNotFolder)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open target %q: %w", dir, err)
	}
	return root, nil
}
