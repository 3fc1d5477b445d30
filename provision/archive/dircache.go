package archive

import (
	"errors"
	"io/fs"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"golang.org/x/sys/unix"
)

// maxOpenDirs bounds the folders kept open; tar lists a folder's members
// together, so a small cache saves almost every lookup.
const maxOpenDirs = 64

// openDir is a folder of the destination opened through the os.Root.
type openDir struct {
	file     *os.File
	fd       int
	resolved string
}

// dirCache opens parent folders through the os.Root once and keeps them, so
// each entry costs the *at syscalls GNU tar makes and no per-call path walk.
// Safety: a folder is resolved with inroot.Resolve (chroot-style, never
// above the root) and opened with os.Root, which refuses to leave the root;
// entries then only ever name one component relative to it.
type dirCache struct {
	root    *os.Root
	open    map[string]*openDir
	retired []*openDir // dropped from the cache, closed at the next sweep
}

func newDirCache(root *os.Root) *dirCache {
	return &dirCache{root: root, open: make(map[string]*openDir)}
}

// get returns the folder name (cleaned, local) resolved inside the root,
// creating missing folders like tar does for members listed before their
// parents.
func (c *dirCache) get(name string) (*openDir, error) {
	if d, ok := c.open[name]; ok {
		return d, nil
	}
	resolved, err := inroot.Resolve(c.root, name, true)
	if err != nil {
		return nil, err
	}
	f, err := c.root.OpenFile(resolved, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if err := c.root.MkdirAll(resolved, 0o755); err != nil {
			return nil, err
		}
		f, err = c.root.OpenFile(resolved, os.O_RDONLY|unix.O_DIRECTORY, 0)
	}
	if err != nil {
		return nil, err
	}
	if len(c.open) >= maxOpenDirs {
		c.invalidate()
	}
	d := &openDir{file: f, fd: int(f.Fd()), resolved: resolved}
	c.open[name] = d
	return d, nil
}

// invalidate empties the cache (a folder or symlink was removed, so a cached
// name may now resolve elsewhere; or the cache is full). Folders already
// handed out stay open until the next sweep, so the entry being created can
// keep using them.
func (c *dirCache) invalidate() {
	for k, d := range c.open {
		c.retired = append(c.retired, d)
		delete(c.open, k)
	}
}

// sweep closes retired folders; called between entries.
func (c *dirCache) sweep() {
	for _, d := range c.retired {
		d.file.Close()
	}
	c.retired = c.retired[:0]
}

func (c *dirCache) close() {
	c.invalidate()
	c.sweep()
}
