package provision

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ErrChangedMeanwhile is returned when a file the run edits is not what
// the plan was made from: another program changed it during the run.
var ErrChangedMeanwhile = errors.New("changed while this run was working")

// ErrHardlinked is returned for a file to edit that has other names.
var ErrHardlinked = errors.New("has other hard links")

// checkEdits refuses, at planning, an edit of a file that has other hard
// links: the edit replaces the file (a new file renamed into place, so a
// reader never sees half of it), which gives this name the new content
// and leaves the other names with the old one — a plugin config in Local
// mode under its other name.
func (p *Plan) checkEdits() error {
	for _, e := range p.Edits {
		if !e.Changed() || e.missing {
			continue
		}
		resolved, err := inroot.Resolve(p.target, e.Path, true)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", inroot.Describe(p.target, e.Path), err)
		}
		info, err := p.target.Lstat(resolved)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(p.target, e.Path), err)
		}
		if n := links(info) - p.leftoverLinks(info); n > 1 {
			return fmt.Errorf("%s %w (%d names): editing it would leave the others with the old content; "+
				"make it a file of its own (cp --remove-destination with a copy) and run again", inroot.Describe(p.target, e.Path), ErrHardlinked, n)
		}
	}
	return nil
}

// leftoverLinks counts the leftovers (old files a dead run kept for
// undo) that are names of the file: they go before the edit is written.
func (p *Plan) leftoverLinks(info fs.FileInfo) uint64 {
	var n uint64
	for _, l := range p.leftovers {
		if other, err := p.target.Lstat(l); err == nil && os.SameFile(info, other) {
			n++
		}
	}
	return n
}

// links is a file's link count, 1 when unknown (a tarball's index).
func links(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// writeEdit writes one edit, checking first that the file is still what
// the plan read (the lock keeps other runs of this tool out, not other
// programs); the old file is kept under a temporary name for undo. With
// clock set (SOURCE_DATE_EPOCH), the file and its folder get that time
// at once, so that a run killed later and run again ends with the times
// a complete run gives.
func (tx *transaction) writeEdit(e *Edit, clock time.Time) error {
	where := inroot.Describe(tx.root, e.Path)
	resolved, err := inroot.Resolve(tx.root, e.Path, true)
	if err != nil {
		return fmt.Errorf("write %s: %w", where, err)
	}
	tx.noteFolder(path.Dir(resolved))
	before, err := tx.root.Lstat(resolved)
	switch {
	case e.missing && errors.Is(err, fs.ErrNotExist):
		if err := tx.w.WriteFile(resolved, e.New); err != nil {
			return fmt.Errorf("write %s: %w", where, err)
		}
		tx.edits = append(tx.edits, editDone{edit: e, resolved: resolved})
		return stampAt(tx.w, clock, path.Dir(resolved), resolved)
	case e.missing && err == nil:
		return fmt.Errorf("%s %w: it was created: run again", where, ErrChangedMeanwhile)
	case err != nil:
		return fmt.Errorf("write %s: %w", where, err)
	}
	// The old file gets a second name first: what is compared below is
	// then the very file that undo would put back.
	backup, err := tx.keepOld(resolved)
	if err != nil {
		return fmt.Errorf("keep the old %s: %w", where, err)
	}
	faultPoint("edit-kept")
	if err := tx.stillPlanned(e, backup); err != nil {
		tx.w.Remove(backup)
		return err
	}
	if err := tx.w.WriteFile(resolved, e.New); err != nil {
		tx.w.Remove(backup)
		return fmt.Errorf("write %s: %w", where, err)
	}
	tx.edits = append(tx.edits, editDone{edit: e, resolved: resolved, backup: backup, before: before})
	return stampAt(tx.w, clock, path.Dir(resolved), resolved)
}

// keepOld links a free temporary name beside the resolved file to it.
func (tx *transaction) keepOld(resolved string) (string, error) {
	dir, base := path.Split(resolved)
	for i := 0; i < 1000; i++ {
		backup := path.Join(dir, inroot.TempName(i, base, inroot.TempOld))
		if _, err := tx.root.Lstat(backup); errors.Is(err, fs.ErrNotExist) {
			return backup, tx.w.Link(resolved, backup)
		}
	}
	return "", fmt.Errorf("no free name for a copy in %s", dir)
}

// stillPlanned checks that the file (its other name kept) holds what the
// plan read and has no names but its own and the kept one.
func (tx *transaction) stillPlanned(e *Edit, kept string) error {
	where := inroot.Describe(tx.root, e.Path)
	info, err := tx.root.Lstat(kept)
	if err != nil {
		return fmt.Errorf("look at %s: %w", where, err)
	}
	if n := links(info); n > 2 {
		return fmt.Errorf("%s %w (it got another hard link): run again", where, ErrChangedMeanwhile)
	}
	now, err := inroot.ReadFile(tx.root, kept)
	if err != nil {
		return fmt.Errorf("read %s: %w", where, err)
	}
	if !bytes.Equal(now, e.Old) {
		return fmt.Errorf("%s %w (another program edited it): run again", where, ErrChangedMeanwhile)
	}
	return nil
}
