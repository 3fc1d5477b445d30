package provision

import (
	"fmt"
	"os"
	"strings"

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
}

// shareMade is a share folder made, and the topmost folder made for it.
type shareMade struct{ top, folder string }

// editDone is an edit written to its resolved name.
type editDone struct {
	edit     *Edit
	resolved string
}

// undo reverts everything recorded, newest first, and returns what could
// not be reverted (empty: the target is as it was).
func (tx *transaction) undo() []string {
	var left []string
	for i := len(tx.edits) - 1; i >= 0; i-- {
		d := tx.edits[i]
		var err error
		if d.edit.missing {
			err = tx.w.Remove(d.resolved)
			if os.IsNotExist(err) {
				err = nil
			}
		} else {
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
	return left
}

// ApplyError is a failed Apply: the error, and what undoing the steps
// already done could not revert.
type ApplyError struct {
	Err  error
	Left []string
}

func (e *ApplyError) Error() string {
	if len(e.Left) == 0 {
		return e.Err.Error() + "; nothing was changed"
	}
	return fmt.Sprintf("%v; undoing the run failed, so the target is changed: %s", e.Err, strings.Join(e.Left, "; "))
}

func (e *ApplyError) Unwrap() error { return e.Err }
