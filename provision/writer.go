package provision

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// targetWriter makes every change Apply makes in the target; names are
// local to the target and already resolved inside it. Two kinds exist:
// rootWriter makes the system calls itself (as root), sessionWriter runs
// programs inside a fakeroot or pseudo session, which fake owners, devices
// and capabilities only for programs that call libc — never for this Go
// program's own system calls.
type targetWriter interface {
	// MkdirTemp creates a new folder with mode 0700 in dir and returns
	// its name.
	MkdirTemp(dir, prefix string) (string, error)
	// Mkdirs creates each folder in order, mode perm whatever the umask,
	// owned by root.
	Mkdirs(names []string, perm fs.FileMode) error
	// Fill copies the rootfs source into the existing, empty folder dir.
	Fill(ctx context.Context, dir string, src rootfsSource, opts archive.ExtractOptions) (archive.Stats, error)
	// WriteFile replaces (or creates) name with data through a temporary
	// file and a rename. An existing file keeps its owner and mode; a new
	// one is root's, mode 0644 (every file the tool makes is).
	WriteFile(name string, data []byte) error
	// SetOwnerMode sets a folder's owner and then its mode (setgid
	// survives).
	SetOwnerMode(name string, owner fileOwner, mode fs.FileMode) error
	// SetTimes sets the access and modification times of each name, not
	// following symlinks.
	SetTimes(names []string, t time.Time) error
	Rename(from, to string) error
	// Link makes newname another name of the file oldname.
	Link(oldname, newname string) error
	RemoveAll(name string) error
	Remove(name string) error
}

// fileOwner is a numeric owner.
type fileOwner struct{ UID, GID int }

// rootfsSource is what a container's rootfs is copied from: an open tar
// stream, or a folder with a skip rule.
type rootfsSource struct {
	tarball io.Reader
	dir     string
	skip    func(rel string, info fs.FileInfo) archive.SkipAction
}
