package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// dir creates a folder, or keeps an existing one (a repeated folder entry
// only updates metadata, like GNU tar). Its owner, xattrs, mode and times
// wait until every member is in place: creating members changes a folder's
// mtime, and a read-only mode must not stop them.
func (x *extractor) dir(t target, hdr *tar.Header) error {
	// Owner rwx until the deferred chmod, so filling it never depends on
	// root's override of permissions.
	mode := uint32(hdr.Mode)&0o777 | 0o700
	err := unix.Mkdirat(t.dirfd, t.base, mode)
	var st unix.Stat_t
	if errors.Is(err, unix.EEXIST) {
		if err := unix.Fstatat(t.dirfd, t.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("inspect existing %q: %w", t.resolved, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err := x.removeExisting(t); err != nil {
				return err
			}
			err = unix.Mkdirat(t.dirfd, t.base, mode)
		} else {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	if err := unix.Fstatat(t.dirfd, t.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("inspect directory: %w", err)
	}
	x.pending.add(t.resolved, hdr, st.Dev, st.Ino)
	x.stats.Dirs++
	return nil
}

// pendingDir is a folder whose metadata is applied at the end.
type pendingDir struct {
	resolved string
	hdr      *tar.Header
	dev, ino uint64
}

// pendingDirs keeps one record per folder: a later entry for the same
// folder replaces the earlier one's metadata.
type pendingDirs struct {
	index map[string]int
	list  []pendingDir
}

func newPendingDirs() *pendingDirs { return &pendingDirs{index: make(map[string]int)} }

func (p *pendingDirs) add(resolved string, hdr *tar.Header, dev, ino uint64) {
	rec := pendingDir{resolved: resolved, hdr: hdr, dev: dev, ino: ino}
	if i, ok := p.index[resolved]; ok {
		p.list[i] = rec
		return
	}
	p.index[resolved] = len(p.list)
	p.list = append(p.list, rec)
}

// finishDirs applies folder metadata deepest first. A folder that was
// replaced after its entry (same name, other inode now) is skipped, so its
// metadata never lands on whatever took its name.
func (x *extractor) finishDirs() error {
	list := x.pending.list
	sort.SliceStable(list, func(i, j int) bool { return depth(list[i].resolved) > depth(list[j].resolved) })
	for _, rec := range list {
		x.dirs.sweep()
		parent, base := splitName(rec.resolved)
		d, err := x.dirs.find(parent)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			continue // replaced, and gone with what replaced it
		}
		if err != nil {
			return &EntryError{Name: rec.hdr.Name, Err: fmt.Errorf("reopen parent folder: %w", err)}
		}
		var st unix.Stat_t
		if err := unix.Fstatat(d.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil ||
			st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Dev != rec.dev || st.Ino != rec.ino {
			continue
		}
		t := target{parent: d.resolved, dirfd: d.fd, base: base, resolved: rec.resolved}
		if err := x.applyMeta(t, -1, rec.hdr, false); err != nil {
			return &EntryError{Name: rec.hdr.Name, Err: err}
		}
	}
	return nil
}

// depth orders folders: "." (the destination) is shallowest.
func depth(resolved string) int {
	if resolved == "." {
		return -1
	}
	return strings.Count(resolved, "/")
}
