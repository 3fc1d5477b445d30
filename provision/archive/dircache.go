package archive

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"golang.org/x/sys/unix"
)

// maxOpenDirs bounds the folders kept open. tar lists a folder's members
// together and walks the tree depth first, so the folders in use are few
// at any time; when the bound is met the least recently used half is
// closed (a folder's children keep their own descriptors).
const maxOpenDirs = 256

// openDir is a folder of the destination, open.
type openDir struct {
	fd       int
	resolved string // its path inside the root, free of symlinks
	// viaLink: reached through a symlink somewhere on the way, so
	// replacing any symlink may change where this name leads.
	viaLink bool
	used    uint64 // when last handed out, for eviction
}

// dirCache keeps the parent folders of the entries open, as a tree that
// follows the archive's names: a folder that is not cached is opened with
// one openat of its last component relative to its cached parent (the
// parent found or opened the same way), so a rootfs costs one open per
// folder, fewer than GNU tar makes, instead of a walk from the root per
// folder.
//
// Safety: each component is opened with O_NOFOLLOW|O_DIRECTORY relative to
// a folder that is inside the root, so the walk cannot leave it. A
// component that is a symlink is resolved chroot-style by inroot.Resolve
// (an absolute target starts again at the root, ".." stops there) and the
// folder it names is opened the same way, component by component. An
// entry that replaces a folder or a symlink drops exactly the cached
// folders whose name may now lead elsewhere (drop).
type dirCache struct {
	root    *os.Root
	rootDir *os.File
	open    map[string]*openDir // by the name as the archive spells it
	tick    uint64
	retired []*openDir // dropped from the cache, closed at the next sweep
}

func newDirCache(root *os.Root) (*dirCache, error) {
	f, err := root.OpenFile(".", os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	c := &dirCache{root: root, rootDir: f, open: make(map[string]*openDir)}
	c.open["."] = &openDir{fd: int(f.Fd()), resolved: "."}
	return c, nil
}

// get returns the folder name (cleaned, local) resolved inside the root,
// creating missing folders like tar does for members listed before their
// parents.
func (c *dirCache) get(name string) (*openDir, error) { return c.lookup(name, true, 0) }

// find is get for a folder that must exist already: nothing is created.
func (c *dirCache) find(name string) (*openDir, error) { return c.lookup(name, false, 0) }

func (c *dirCache) lookup(name string, create bool, depth int) (*openDir, error) {
	c.tick++
	if d, ok := c.open[name]; ok {
		d.used = c.tick
		return d, nil
	}
	if depth > maxLinkDepth {
		return nil, inroot.ErrTooManySymlinks
	}
	parentName, base := splitName(name)
	parent, err := c.lookup(parentName, create, depth)
	if err != nil {
		return nil, err
	}
	d, err := c.openChild(parent, base, create)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if serr := unix.Fstatat(parent.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			d, err = c.throughLink(parent, base, create, depth)
		}
	}
	if err != nil {
		return nil, err
	}
	c.add(name, d)
	return d, nil
}

// maxLinkDepth bounds folders reached through symlinks within one lookup
// (inroot.Resolve stops loops itself; this stops a tree changed meanwhile).
const maxLinkDepth = 40

// openChild opens the folder base of parent without following a symlink,
// creating it first when asked and missing.
func (c *dirCache) openChild(parent *openDir, base string, create bool) (*openDir, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent.fd, base, flags, 0)
	if errors.Is(err, unix.ENOENT) && create {
		if err = unix.Mkdirat(parent.fd, base, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
			fd, err = unix.Openat(parent.fd, base, flags, 0)
		}
	}
	if err != nil {
		return nil, err
	}
	return &openDir{fd: fd, resolved: join(parent.resolved, base), viaLink: parent.viaLink}, nil
}

// throughLink opens the folder that the symlink base of parent names,
// resolved chroot-style inside the root. The folder is reached by its
// resolved, symlink-free name through the cache; its descriptor is
// duplicated, so the link's name and the folder's own name are cached
// (and dropped) apart.
func (c *dirCache) throughLink(parent *openDir, base string, create bool, depth int) (*openDir, error) {
	resolved, err := inroot.Resolve(c.root, join(parent.resolved, base), true)
	if err != nil {
		return nil, err
	}
	target, err := c.lookup(resolved, create, depth+1)
	if err != nil {
		return nil, err
	}
	fd, err := unix.FcntlInt(uintptr(target.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicate folder descriptor: %w", err)
	}
	return &openDir{fd: fd, resolved: target.resolved, viaLink: true}, nil
}

// add caches d under name, closing the least recently used half of the
// cache first when it is full (never the root).
func (c *dirCache) add(name string, d *openDir) {
	d.used = c.tick
	if len(c.open) >= maxOpenDirs {
		names := make([]string, 0, len(c.open))
		for k := range c.open {
			if k != "." {
				names = append(names, k)
			}
		}
		sort.Slice(names, func(i, j int) bool { return c.open[names[i]].used < c.open[names[j]].used })
		for _, k := range names[:len(names)/2] {
			c.retire(k)
		}
	}
	c.open[name] = d
}

// drop forgets every cached folder that the name resolved (parent/base
// inside the root, free of symlinks) may have led to, because what has
// that name is about to be removed: a folder drops the folders at or below
// it; a symlink drops every folder reached through a symlink. Folders
// already handed out stay open until the next sweep, so the entry being
// created can keep using them.
func (c *dirCache) drop(resolved string, symlink bool) {
	for k, d := range c.open {
		if k == "." {
			continue
		}
		if (symlink && d.viaLink) || d.resolved == resolved || strings.HasPrefix(d.resolved, resolved+"/") {
			c.retire(k)
		}
	}
}

func (c *dirCache) retire(name string) {
	c.retired = append(c.retired, c.open[name])
	delete(c.open, name)
}

// sweep closes retired folders; called between entries.
func (c *dirCache) sweep() {
	for _, d := range c.retired {
		unix.Close(d.fd)
	}
	c.retired = c.retired[:0]
}

func (c *dirCache) close() {
	for k := range c.open {
		if k != "." {
			c.retire(k)
		}
	}
	c.sweep()
	c.rootDir.Close()
}

// join is parent/base for a resolved parent ("." is the root).
func join(parent, base string) string {
	if parent == "." {
		return base
	}
	return parent + "/" + base
}
