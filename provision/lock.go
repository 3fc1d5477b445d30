package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ErrTargetBusy is returned when another run kept the target locked for
// longer than LockWait.
var ErrTargetBusy = errors.New("another thunder-lxc run is changing the target")

// LockWait is how long a run waits for another run on the same target to
// end. Runs on one target take turns: each plans on what the one before
// left, so two runs with different callsigns or ID ranges keep both their
// edits (the plugin configs, common.conf, /etc/subuid and /etc/subgid are
// read when the plan is made and written much later).
var LockWait = 10 * time.Minute

// lockPoll is how often a waiting run tries the lock again.
const lockPoll = 50 * time.Millisecond

// lockTarget takes the target's lock for a run: exclusive for one that
// changes it, shared for a dry run (which may run beside other dry runs,
// and finds no run at work while it reads). It waits up to LockWait for
// the run that holds it; ctx cancels the wait.
func lockTarget(ctx context.Context, root *os.Root, exclusive bool) (*inroot.Lock, error) {
	deadline := time.Now().Add(LockWait)
	for {
		l, ok, err := inroot.TryLock(root, exclusive)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", root.Name(), err)
		}
		if ok {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("target %q: %w, and did not end within %s: run again once it has ended", root.Name(), ErrTargetBusy, LockWait)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("target %q: waiting for another thunder-lxc run to end: %w", root.Name(), ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// heldLock marks a context whose run holds the lock of a target already
// (its cleaned absolute path): a batch takes it once for all its plans.
type heldLock struct{}

// withHeldLock tells the plans made with ctx that target's lock is held.
func withHeldLock(ctx context.Context, target string) context.Context {
	return context.WithValue(ctx, heldLock{}, absPath(target))
}

// holdsLock tells whether ctx's run holds target's lock already.
func holdsLock(ctx context.Context, target string) bool {
	held, ok := ctx.Value(heldLock{}).(string)
	return ok && held == absPath(target)
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// lockInto takes the lock of a run's target folder, unless ctx holds it
// already, and adds it to the closers of the run's plan.
func lockInto(ctx context.Context, root *os.Root, target string, exclusive bool, closers *[]io.Closer) error {
	if holdsLock(ctx, target) {
		return nil
	}
	lock, err := lockTarget(ctx, root, exclusive)
	if err != nil {
		return err
	}
	*closers = append(*closers, lock)
	return nil
}

// lockBatchTarget takes the lock of a batch's target folder.
func lockBatchTarget(ctx context.Context, req BatchRequest) (*inroot.Lock, error) {
	root, err := inroot.OpenTarget(req.Target)
	if err != nil {
		return nil, err
	}
	defer root.Close() // the lock has a descriptor of its own
	return lockTarget(ctx, root, !req.DryRun)
}
