package inroot

import "io/fs"

// FS is a root filesystem as the reading side of the tool sees it: a
// build-host folder opened with os.Root (which satisfies it as it is), or
// the index of a rootfs tarball that `image` reads without unpacking it.
// Names are local to the root and already resolved by Resolve; planning
// reads through FS only, so the same plan is made for a folder and for a
// tarball.
type FS interface {
	// Name is what error messages call the root (a folder or a tarball).
	Name() string
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
	ReadFile(name string) ([]byte, error)
	// FS gives Open and ReadDir; its files of content must implement
	// io.ReaderAt for ELF parsing (os.File and in-memory files do).
	FS() fs.FS
}
