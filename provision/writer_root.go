package provision

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// rootWriter changes the target with its own system calls through the
// os.Root: the way when running as root.
type rootWriter struct{ root *os.Root }

func (w rootWriter) MkdirTemp(dir, prefix string) (string, error) {
	return inroot.MkdirTemp(w.root, dir, prefix, 0o700)
}

func (w rootWriter) Mkdirs(names []string, perm fs.FileMode) error {
	for _, name := range names {
		if err := w.root.Mkdir(name, perm); err != nil {
			return err
		}
		if err := w.root.Chmod(name, perm); err != nil {
			return err
		}
	}
	return nil
}

// Fill unpacks or copies through the archive package, which applies
// owners, devices and xattrs itself. dir is inside this run's own 0700
// staging folder, which nothing else can have replaced by a symlink, so its
// build-host path is safe to hand over.
func (w rootWriter) Fill(ctx context.Context, dir string, src rootfsSource, opts archive.ExtractOptions) (archive.Stats, error) {
	dest := filepath.Join(w.root.Name(), filepath.FromSlash(dir))
	if src.tarball != nil {
		return archive.Extract(ctx, src.tarball, dest, opts)
	}
	return archive.CopyDir(ctx, src.dir, dest, src.skip, opts)
}

func (w rootWriter) WriteFile(name string, data []byte) error {
	return inroot.WriteFileAtomic(w.root, name, data, 0o644)
}

func (w rootWriter) SetOwnerMode(name string, owner fileOwner, mode fs.FileMode) error {
	if err := w.root.Lchown(name, owner.UID, owner.GID); err != nil {
		return err
	}
	// Chmod after chown: chown clears setgid.
	return w.root.Chmod(name, mode)
}

func (w rootWriter) SetTimes(names []string, t time.Time) error {
	for _, name := range names {
		if err := w.root.Chtimes(name, t, t); err != nil {
			return err
		}
	}
	return nil
}

func (w rootWriter) Rename(from, to string) error { return w.root.Rename(from, to) }
func (w rootWriter) Link(from, to string) error   { return w.root.Link(from, to) }
func (w rootWriter) RemoveAll(name string) error  { return w.root.RemoveAll(name) }
func (w rootWriter) Remove(name string) error     { return w.root.Remove(path.Clean(name)) }
