package inroot

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Lock is a run's hold on a target: a flock on the target folder itself.
// Nothing is written into the target (an image made from it holds no lock
// file), and the kernel drops the lock when the process ends, however it
// ends (SIGKILL too): a lock never outlives its run. So a run that holds
// the exclusive lock knows that no other run is at work in the target, and
// that every temporary file it finds there (Leftovers) is a dead run's.
type Lock struct{ f *os.File }

// TryLock takes the target's lock, exclusive (a run that changes the
// target) or shared (one that reads it), without waiting; ok is false
// when another run holds it in a way that excludes this one.
func TryLock(root *os.Root, exclusive bool) (l *Lock, ok bool, err error) {
	f, err := root.Open(".")
	if err != nil {
		return nil, false, fmt.Errorf("open the target to lock it: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("lock the target: %w", err)
	}
	return &Lock{f: f}, true, nil
}

// Close releases the lock.
func (l *Lock) Close() error { return l.f.Close() }
