package provision

import (
	"context"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ApplyRemove carries the remove plan out: what goes is first moved into
// a staging folder beside it (one rename each), then the files are
// restored one by one; only once all of that worked are the staging
// folders deleted. Any failure undoes what was done, so the target is as
// it was. A dry-run plan only reports.
func ApplyRemove(ctx context.Context, rp *RemovePlan) (*RemoveReport, error) {
	start := time.Now()
	defer rp.Close()
	report := newRemoveReport(rp)
	if rp.image != nil {
		if err := rp.writeImage(ctx, report, start); err != nil {
			return nil, err
		}
		return report, nil
	}
	if rp.Request.DryRun || !rp.changes() {
		report.Seconds = time.Since(start).Seconds()
		return report, nil
	}
	w, err := newTargetWriter(rp.root, rp.session)
	if err != nil {
		return nil, &ApplyError{Err: err}
	}
	rtx := &removeTx{transaction: &transaction{root: rp.root, w: w}}
	if err := rp.apply(ctx, rtx); err != nil {
		return nil, &ApplyError{Err: err, Left: rtx.undo()}
	}
	report.Warnings = append(report.Warnings, rtx.commit()...)
	report.Warnings = append(report.Warnings, rtx.finish(rp.clock)...)
	report.Seconds = time.Since(start).Seconds()
	return report, nil
}

// writeImage writes the output of a remove on an image: the input's
// entries, what goes left out, the restored files with their content.
func (rp *RemovePlan) writeImage(ctx context.Context, report *RemoveReport, start time.Time) error {
	defer func() { report.Seconds = time.Since(start).Seconds() }()
	if rp.Request.DryRun || rp.image.skipsWrite(rp.changes()) {
		return nil
	}
	changes := &imageChanges{}
	if err := changes.addRemove(rp); err != nil {
		return rp.image.writeError(err)
	}
	return rp.image.write(ctx, changes, nil, nil)
}

// changes tells whether the remove changes anything.
func (rp *RemovePlan) changes() bool {
	return len(rp.gone) > 0 || slices.ContainsFunc(rp.Edits, (*Edit).Changed)
}

// removeTx is a transaction that also moves paths out of the way.
type removeTx struct {
	*transaction
	moves []*goneMove
}

// goneMove is a path moved into a staging folder made beside it, deleted
// when the run is done, moved back when it fails.
type goneMove struct {
	path, dir string
	moved     bool
}

// gonePath is where a moved path waits in its staging folder.
func (m *goneMove) gonePath() string { return path.Join(m.dir, "gone") }

// apply does the remove, recording each step in rtx for undo.
func (rp *RemovePlan) apply(ctx context.Context, rtx *removeTx) error {
	for _, p := range rp.gone {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir, err := rtx.w.MkdirTemp(path.Dir(p), stagingPrefix)
		if err != nil {
			return fmt.Errorf("create a staging folder beside %s: %w", inroot.Describe(rp.root, p), err)
		}
		m := &goneMove{path: p, dir: dir}
		rtx.moves = append(rtx.moves, m)
		if err := rtx.w.Rename(p, m.gonePath()); err != nil {
			return fmt.Errorf("move %s out of the way: %w", inroot.Describe(rp.root, p), err)
		}
		m.moved = true
	}
	for _, e := range rp.Edits {
		if !e.Changed() {
			continue
		}
		resolved, err := inroot.Resolve(rp.root, e.Path, true)
		if err != nil {
			return fmt.Errorf("write %s: %w", inroot.Describe(rp.root, e.Path), err)
		}
		if slices.Contains(rp.gone, resolved) {
			continue // a file left empty, gone as a whole
		}
		if err := rtx.writeEdit(e, rp.clock); err != nil {
			return err
		}
	}
	return nil
}

// undo reverts the edits, then moves back what was moved, newest first.
func (rtx *removeTx) undo() []string {
	left := rtx.transaction.undo()
	for i := len(rtx.moves) - 1; i >= 0; i-- {
		m := rtx.moves[i]
		if m.moved {
			if err := rtx.w.Rename(m.gonePath(), m.path); err != nil {
				left = append(left, fmt.Sprintf("%s was not moved back: it is in %s (%v)", inroot.Describe(rtx.root, m.path), m.gonePath(), err))
				continue
			}
		}
		if err := rtx.w.RemoveAll(m.dir); err != nil {
			left = append(left, fmt.Sprintf("the staging folder %s stays (%v)", inroot.Describe(rtx.root, m.dir), err))
		}
	}
	return left
}

// finish deletes what was moved away and, with SOURCE_DATE_EPOCH set,
// gives the restored files and the folders whose listing changed its
// time. What fails is a warning: the remove itself is done.
func (rtx *removeTx) finish(clock time.Time) []string {
	var warnings, names []string
	for _, m := range rtx.moves {
		if err := rtx.w.RemoveAll(m.dir); err != nil {
			warnings = append(warnings, fmt.Sprintf("delete %s: %v", inroot.Describe(rtx.root, m.dir), err))
		}
		names = append(names, path.Dir(m.path))
	}
	for _, e := range rtx.edits {
		names = append(names, path.Dir(e.resolved), e.resolved)
	}
	if !clock.IsZero() && len(names) > 0 {
		slices.Sort(names)
		if err := rtx.w.SetTimes(slices.Compact(names), clock); err != nil {
			warnings = append(warnings, "give what was changed the time SOURCE_DATE_EPOCH sets: "+err.Error())
		}
	}
	return warnings
}
