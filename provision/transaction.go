package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// transaction records what Apply changed, in order, so that a failure can
// undo it and say whether that worked.
type transaction struct {
	root   *os.Root
	w      targetWriter
	stages []*stage
	shares []shareMade
	edits  []editDone
	// folders are the folders whose listing the run changes (besides the
	// staging folders' parents, which a stage restores itself), with
	// their times from before: undo sets them back, so that a refused run
	// leaves even the folder times of the target as they were.
	folders []folderTimes
}

// shareMade is a share folder made, and the topmost folder made for it.
type shareMade struct{ top, folder string }

// editDone is an edit written to its resolved name. The old file itself
// (its inode, so owner, mode, times, xattrs) stays under the name backup
// until the run ends: undo renames it back. A new file has no backup.
type editDone struct {
	edit     *Edit
	resolved string
	backup   string
	before   fs.FileInfo // the old file, nil for a new one
}

// folderTimes are a folder's times before the run.
type folderTimes struct {
	name         string
	atime, mtime time.Time
}

// noteFolder records the times of the folder name (local) before the run
// changes what it holds; once per folder.
func (tx *transaction) noteFolder(name string) {
	for _, f := range tx.folders {
		if f.name == name {
			return
		}
	}
	info, err := tx.root.Lstat(name)
	if err != nil {
		return // nothing there yet: made by this run, and undone with it
	}
	tx.folders = append(tx.folders, folderTimes{name: name, atime: atime(info), mtime: info.ModTime()})
}

func atime(info fs.FileInfo) time.Time {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Atim.Unix())
	}
	return info.ModTime()
}

// undo reverts everything recorded, newest first, and returns what could
// not be reverted (empty: the target is as it was, metadata too, but for
// the change times (ctime) of what was touched, which no program can set).
func (tx *transaction) undo() []string {
	var left []string
	for i := len(tx.edits) - 1; i >= 0; i-- {
		d := tx.edits[i]
		var err error
		switch {
		case d.backup != "":
			err = tx.w.Rename(d.backup, d.resolved)
		case d.edit.missing:
			err = tx.w.Remove(d.resolved)
			if os.IsNotExist(err) {
				err = nil
			}
		default:
			err = tx.w.WriteFile(d.resolved, d.edit.Old)
		}
		if err != nil {
			left = append(left, fmt.Sprintf("%s holds the new content (%v)", inroot.Describe(tx.root, d.edit.Path), err))
		}
	}
	for i := len(tx.shares) - 1; i >= 0; i-- {
		if err := tx.w.RemoveAll(tx.shares[i].top); err != nil {
			left = append(left, fmt.Sprintf("the share folder %s stays (%v)", inroot.Describe(tx.root, tx.shares[i].top), err))
		}
	}
	for i := len(tx.stages) - 1; i >= 0; i-- {
		s := tx.stages[i]
		if err := s.rollback(); err != nil {
			// The staging folder may hold the old container: keep it.
			left = append(left, err.Error())
			continue
		}
		if err := s.abort(); err != nil {
			left = append(left, err.Error())
		}
	}
	for _, f := range tx.folders {
		// Only a changed listing changed the modification time; reading
		// a folder may change its access time, which is no change.
		if now, err := tx.root.Lstat(f.name); err == nil && now.ModTime().Equal(f.mtime) {
			continue
		}
		if err := tx.root.Chtimes(f.name, f.atime, f.mtime); err != nil {
			left = append(left, fmt.Sprintf("the times of folder %s changed (%v)", inroot.Describe(tx.root, f.name), err))
		}
	}
	if len(left) == 0 {
		left = tx.check()
	}
	return left
}

// check compares what undo restored with what was there before the run,
// so that a failed run says "nothing was changed" only when that is true.
func (tx *transaction) check() []string {
	var left []string
	for _, d := range tx.edits {
		if d.before == nil {
			continue
		}
		now, err := tx.root.Lstat(d.resolved)
		if err != nil || !os.SameFile(now, d.before) || !now.ModTime().Equal(d.before.ModTime()) {
			left = append(left, fmt.Sprintf("%s is not the file it was", inroot.Describe(tx.root, d.edit.Path)))
		}
	}
	for _, f := range tx.folders {
		if now, err := tx.root.Lstat(f.name); err != nil || !now.ModTime().Equal(f.mtime) {
			left = append(left, fmt.Sprintf("the modification time of folder %s changed", inroot.Describe(tx.root, f.name)))
		}
	}
	return left
}

// commit ends a run that succeeded: the old files kept for undo go.
func (tx *transaction) commit() []string {
	var warnings []string
	for _, d := range tx.edits {
		if d.backup == "" {
			continue
		}
		if err := tx.w.Remove(d.backup); err != nil && !errors.Is(err, fs.ErrNotExist) {
			warnings = append(warnings, fmt.Sprintf("remove %s, the old %s, by hand: %v",
				inroot.Describe(tx.root, d.backup), d.edit.Path, err))
		}
	}
	return warnings
}

// ApplyError is a failed Apply: the error, and what undoing the steps
// already done could not revert.
type ApplyError struct {
	Err  error
	Left []string
	// Cleaned are the leftovers of an earlier run removed before the
	// failure (device paths): garbage, not put back.
	Cleaned []string
}

func (e *ApplyError) Error() string {
	if len(e.Left) > 0 {
		return fmt.Sprintf("%v; undoing the run failed, so the target is changed: %s", e.Err, strings.Join(e.Left, "; "))
	}
	if len(e.Cleaned) > 0 {
		return fmt.Sprintf("%v; nothing was changed but for the removal of what an earlier run left (%s)", e.Err, strings.Join(e.Cleaned, ", "))
	}
	return e.Err.Error() + "; nothing was changed"
}

func (e *ApplyError) Unwrap() error { return e.Err }
