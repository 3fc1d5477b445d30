package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// stage builds a container folder out of sight and swaps it into place with
// renames, so the target holds the old container or the new one, never half
// of one.
//
// Layout inside the target (local paths):
//
//	parent/                    deepest folder of the container path that exists
//	parent/.thunder-lxc-N/     the staging folder, mode 0700
//	    first/.../Container/   the new container (first: the first missing part)
//	    old                    the replaced container, once committed
type stage struct {
	root      *os.Root     // reads, and the parent folder's times
	w         targetWriter // every change
	parent    string       // existing folder the new tree is renamed into
	dir       string       // the staging folder
	first     string       // first path component below parent that is new
	moved     string       // what commit moved from dir into parent
	container string       // the new container folder, inside dir
	final     string       // where the container folder ends up
	replacing bool
	committed bool
	// parentTimes are the parent folder's times before the staging folder
	// was made in it, restored when the stage is abandoned, so a refused
	// run leaves even the folder times of the target as they were.
	parentAtime, parentMtime time.Time
}

// newStage prepares the staging folder for the container folder at device
// path containerDir.
func newStage(root *os.Root, w targetWriter, containerDir string) (*stage, error) {
	final, err := inroot.Resolve(root, containerDir, false)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", inroot.Describe(root, containerDir), err)
	}
	s := &stage{root: root, w: w, final: final}
	if _, err := root.Lstat(final); err == nil {
		s.replacing = true
		s.parent, s.first = path.Dir(final), path.Base(final)
	} else {
		// Climb to the deepest folder that exists; everything below it is
		// built in the staging folder and appears with one rename.
		missing := []string{path.Base(final)}
		parent := path.Dir(final)
		for parent != "." {
			if _, err := root.Lstat(parent); err == nil {
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			missing = append([]string{path.Base(parent)}, missing...)
			parent = path.Dir(parent)
		}
		s.parent, s.first = parent, missing[0]
	}
	if info, err := root.Lstat(s.parent); err == nil {
		s.parentMtime = info.ModTime()
		s.parentAtime = s.parentMtime
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			s.parentAtime = time.Unix(st.Atim.Unix())
		}
	}
	if s.dir, err = w.MkdirTemp(s.parent, stagingPrefix); err != nil {
		return nil, fmt.Errorf("create a staging folder in %s: %w", inroot.Describe(root, s.parent), err)
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(final, s.parent), "/")
	if s.parent == "." {
		rel = final
	}
	s.container = path.Join(s.dir, rel)
	if err := s.mkdirAll(s.container); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// mkdirAll creates the folders below the staging folder with mode 0755,
// whatever the umask.
func (s *stage) mkdirAll(p string) error {
	var names []string
	cur := s.dir
	for _, part := range strings.Split(strings.TrimPrefix(p, s.dir+"/"), "/") {
		cur = path.Join(cur, part)
		names = append(names, cur)
	}
	if err := s.w.Mkdirs(names, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", inroot.Describe(s.root, p), err)
	}
	return nil
}

// commit swaps the new container folder into place.
func (s *stage) commit() error {
	if s.replacing {
		if err := s.w.Rename(s.final, path.Join(s.dir, "old")); err != nil {
			return fmt.Errorf("move the old container %s aside: %w", inroot.Describe(s.root, s.final), err)
		}
		faultPoint("old-container-aside")
	}
	// What is missing now: an earlier container of the same run may have
	// made folders this one's path shares (a data path that was missing).
	s.moved = s.first
	if !s.replacing {
		if s.moved = s.missingBelowParent(); s.moved == "" {
			return fmt.Errorf("move the new container into %s: it exists now", inroot.Describe(s.root, s.final))
		}
	}
	if err := s.w.Rename(path.Join(s.dir, s.moved), path.Join(s.parent, s.moved)); err != nil {
		if s.replacing {
			if back := s.w.Rename(path.Join(s.dir, "old"), s.final); back != nil {
				return fmt.Errorf("move the new container into %s: %w (and the old one could not be moved back from %s: %v)",
					inroot.Describe(s.root, s.final), err, path.Join(s.dir, "old"), back)
			}
		}
		return fmt.Errorf("move the new container into %s: %w", inroot.Describe(s.root, s.final), err)
	}
	s.committed = true
	return nil
}

// missingBelowParent is the shallowest folder on the way from the parent
// to the container folder that does not exist (relative to the parent), or
// "" when the container folder exists.
func (s *stage) missingBelowParent() string {
	rel := strings.TrimPrefix(strings.TrimPrefix(s.final, s.parent), "/")
	if s.parent == "." {
		rel = s.final
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = path.Join(cur, part)
		if _, err := s.root.Lstat(path.Join(s.parent, cur)); errors.Is(err, fs.ErrNotExist) {
			return cur
		}
	}
	return ""
}

// rollback undoes a commit: the old container (if any) is back in place.
func (s *stage) rollback() error {
	if !s.committed {
		return nil
	}
	if err := s.w.Rename(path.Join(s.parent, s.moved), path.Join(s.dir, s.moved)); err != nil {
		return fmt.Errorf("the new container %s stays (moving it out failed: %v)", inroot.Describe(s.root, s.final), err)
	}
	s.committed = false
	if s.replacing {
		if err := s.w.Rename(path.Join(s.dir, "old"), s.final); err != nil {
			return fmt.Errorf("the old container was not moved back to %s: it is in %s (%v)",
				inroot.Describe(s.root, s.final), path.Join(s.dir, "old"), err)
		}
	}
	return nil
}

// abort removes the staging folder and whatever it holds: the new container
// before a commit, the replaced one after.
func (s *stage) abort() error {
	if err := s.w.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("the staging folder %s stays (%v)", inroot.Describe(s.root, s.dir), err)
	}
	if !s.committed && !s.parentMtime.IsZero() {
		s.root.Chtimes(s.parent, s.parentAtime, s.parentMtime)
	}
	return nil
}
