package provision

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// runTarget is what a provision or remove plan reads and changes, and the
// conditions it runs under. Both plans embed it.
type runTarget struct {
	// target is read while planning: the target folder, or the index of
	// the tarball an image run reads; root is the target folder the run
	// changes (nil on an image, whose output the image's writer writes).
	target  inroot.FS
	root    *os.Root
	session *fakeroot.Session // the fakeroot or pseudo session, if any
	// clock is the time of what the run adds or changes (zero: the time
	// of the run); clamp, when set, limits the times of what it copies.
	// Both come from SOURCE_DATE_EPOCH.
	clock, clamp time.Time
	// closers are closed with the plan.
	closers []io.Closer
}

// openRunTarget opens the target folder dir for a plan: its root, the
// run's lock on it (shared for a dry run), the run's clock, and the
// fakeroot or pseudo session the run is in. On error, what it opened is
// closed again.
func openRunTarget(ctx context.Context, dir string, dryRun bool) (runTarget, error) {
	root, err := inroot.OpenTarget(dir)
	if err != nil {
		return runTarget{}, err
	}
	t := runTarget{target: root, root: root, closers: []io.Closer{root}}
	err = lockInto(ctx, root, dir, !dryRun, &t.closers)
	if err == nil {
		t.clock, t.clamp, err = buildClock(time.Time{})
	}
	if err == nil {
		t.session, err = fakeroot.Detect(ctx)
	}
	if err != nil {
		closeAll(&t.closers)
		return runTarget{}, err
	}
	return t, nil
}
