package mountns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A Namespace is a View made real: a private mount namespace held by one
// operating-system thread, in which Do runs functions (such as starting
// LXC, whose processes inherit the namespace). Close ends it, and with it
// every mount it holds.
type Namespace struct {
	work chan func()
	done chan struct{}
}

// SetupError says that the view could not be made: a failure of the
// build host's, not of the program meant to run in it.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return "prepare the private mount namespace: " + e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// ErrNeedsRoot means the namespace could not be made for want of
// privileges: mounting needs root (CAP_SYS_ADMIN).
var ErrNeedsRoot = errors.New("making a private mount namespace needs root")

// Enter makes the view's namespace. It needs root and Linux 5.2 or later
// (the view's memory is a tmpfs made with fsopen, reachable without a
// folder on the host).
func (v *View) Enter() (*Namespace, error) {
	ns := &Namespace{work: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	go ns.hold(v, ready)
	if err := <-ready; err != nil {
		return nil, &SetupError{err}
	}
	return ns, nil
}

// hold makes the namespace on a thread of its own and then runs the work
// it is given there. The thread is never unlocked: the Go runtime ends a
// thread whose goroutine exits while locked to it, so no other goroutine
// ever runs in the private namespace, and the namespace ends with it.
//
// The main thread is the one thread it must not be: the process's
// namespace is the main thread's (/proc/self shows it), and the runtime
// never ends the main thread. So on the main thread, hold keeps it busy
// and starts over in a new goroutine, which then runs on another thread.
func (ns *Namespace) hold(v *View, ready chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		held := make(chan struct{})
		go func() {
			ns.hold(v, ready)
			close(held)
		}()
		<-held
		runtime.UnlockOSThread()
		return
	}
	defer close(ns.done)
	b, err := v.build()
	if b != nil {
		defer b.close()
	}
	ready <- err
	if err != nil {
		return
	}
	for f := range ns.work {
		f()
	}
}

// Do runs f in the namespace and returns its error.
func (ns *Namespace) Do(f func() error) error {
	errc := make(chan error, 1)
	ns.work <- func() { errc <- f() }
	return <-errc
}

// Close ends the namespace; its mounts go with it.
func (ns *Namespace) Close() {
	close(ns.work)
	<-ns.done
}

// builder makes a view's mounts in the calling thread's new namespace.
type builder struct {
	scratch  *os.File // the view's tmpfs, detached
	counter  int
	writable []string // folders (and what is below them) that keep writes in memory
}

func (b *builder) close() {
	if b.scratch != nil {
		b.scratch.Close()
	}
}

// scratchDir holds the view's own files in its tmpfs, out of the way of
// what programs write there when Scratch shows it.
const scratchDir = ".mountns"

// inScratch returns a new name in the view's tmpfs, reachable from this
// process by its file descriptor whatever is mounted where.
func (b *builder) inScratch(prefix string) string {
	b.counter++
	return fmt.Sprintf("/proc/self/fd/%d/%s/%s%d", b.scratch.Fd(), scratchDir, prefix, b.counter)
}

func (v *View) build() (*builder, error) {
	flags := unix.CLONE_NEWNS
	if v.privateNet {
		flags |= unix.CLONE_NEWNET
	}
	if err := unix.Unshare(flags); err != nil {
		if errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("%w: %v", ErrNeedsRoot, err)
		}
		return nil, fmt.Errorf("unshare the mount namespace: %w", err)
	}
	// Nothing mounted here may propagate back to the host's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("make / private: %w", err)
	}
	b := &builder{}
	scratch, err := newTmpfs("mode=0700")
	if err != nil {
		return b, fmt.Errorf("make the view's tmpfs (fsopen needs Linux 5.2 or later): %w", err)
	}
	b.scratch = scratch
	if err := os.Mkdir(fdPath(scratch)+"/"+scratchDir, 0o700); err != nil {
		return b, err
	}
	mounts := v.ordered()
	// Opened here, in the new namespace (overlayfs takes a lower layer
	// only from its caller's namespace), and before anything is mounted.
	sources := make([]*os.File, len(mounts))
	defer func() {
		for _, f := range sources {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, m := range mounts {
		if sources[i], err = openSource(m); err != nil {
			return b, fmt.Errorf("%s: %w", m.point, err)
		}
	}
	for i, m := range mounts {
		if err := b.mount(m, sources[i]); err != nil {
			return b, fmt.Errorf("%s: %w", m.point, err)
		}
	}
	if v.scratchAt != "" {
		if err := b.ensurePoint(v.scratchAt, false); err != nil {
			return b, fmt.Errorf("%s: %w", v.scratchAt, err)
		}
		if err := unix.MoveMount(int(b.scratch.Fd()), "", unix.AT_FDCWD, v.scratchAt, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return b, fmt.Errorf("show the view's tmpfs at %s: %w", v.scratchAt, err)
		}
		b.writable = append(b.writable, v.scratchAt)
	}
	for _, f := range v.files {
		if !b.isWritable(f.point) {
			return b, fmt.Errorf("write %s: not in a part of the view that keeps writes in memory", f.point)
		}
		if f.dir {
			if err := os.MkdirAll(f.point, 0o755); err != nil {
				return b, err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.point), 0o755); err != nil {
			return b, err
		}
		if err := os.WriteFile(f.point, f.data, 0o644); err != nil {
			return b, err
		}
	}
	return b, nil
}

// newTmpfs makes a tmpfs that is mounted nowhere, open as a folder.
func newTmpfs(options ...string) (*os.File, error) {
	fsfd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fsfd)
	for _, o := range options {
		key, value, _ := strings.Cut(o, "=")
		if err := unix.FsconfigSetString(fsfd, key, value); err != nil {
			return nil, err
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, err
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(mfd), "thunder-lxc view"), nil
}

// openSource opens what m shows, if anything.
func openSource(m viewMount) (*os.File, error) {
	switch m.kind {
	case showOverlay:
		root, err := os.OpenRoot(m.root)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return root.Open(m.name)
	case bindThrough:
		return os.Open(m.root)
	}
	return nil, nil
}

func (b *builder) mount(m viewMount, source *os.File) error {
	if err := b.ensurePoint(m.point, m.file); err != nil {
		return err
	}
	switch m.kind {
	case showOverlay:
		if err := b.overlay(source, m.point); err != nil {
			return err
		}
		b.writable = append(b.writable, m.point)
	case bindThrough:
		if err := unix.Mount(fdPath(source), m.point, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", m.root, err)
		}
	case bindData:
		name := b.inScratch("file")
		if err := os.WriteFile(name, m.data, 0o644); err != nil {
			return err
		}
		if err := unix.Mount(name, m.point, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind a file of the view: %w", err)
		}
	case freshTmpfs:
		options := fmt.Sprintf("mode=%04o", m.mode)
		if err := unix.Mount("thunder-lxc", m.point, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, options); err != nil {
			return fmt.Errorf("mount a tmpfs: %w", err)
		}
		b.writable = append(b.writable, m.point)
	}
	return nil
}

// overlay mounts an overlay on point whose lower layer is the folder dir
// and whose upper layer is a new folder of the view's tmpfs. The upper
// folder gets the owner and mode of dir: an overlay's top folder takes
// them from its upper layer, and the container must see the target's.
func (b *builder) overlay(dir *os.File, point string) error {
	info, err := dir.Stat()
	if err != nil {
		return err
	}
	upper, work := b.inScratch("upper"), b.inScratch("work")
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	st := info.Sys().(*syscall.Stat_t)
	if err := os.Lchown(upper, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Chmod(upper, st.Mode&0o7777); err != nil {
		return err
	}
	// Every path in the options is a /proc/self/fd one: no comma or colon
	// of a user's path can reach the option string.
	options := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", fdPath(dir), upper, work)
	if err := unix.Mount("thunder-lxc", point, "overlay", 0, options); err != nil {
		return fmt.Errorf("overlay %s: %w", dir.Name(), err)
	}
	return nil
}

// ensurePoint makes sure point exists in the namespace, as a folder or
// (file) a file. A missing one is made in an overlay of its nearest
// existing folder, unless that folder already keeps writes in memory.
func (b *builder) ensurePoint(point string, file bool) error {
	if _, err := os.Stat(point); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(point)
	for {
		if _, err := os.Stat(parent); err == nil {
			break
		}
		parent = filepath.Dir(parent)
	}
	if !b.isWritable(parent) {
		if parent == "/" {
			return fmt.Errorf("the build host has no %s, and a private view cannot add a folder in / without changing the host's /", strings.Split(point, "/")[1])
		}
		dir, err := os.Open(parent)
		if err != nil {
			return err
		}
		err = b.overlay(dir, parent)
		dir.Close()
		if err != nil {
			return fmt.Errorf("make room for the mount point: %w", err)
		}
		b.writable = append(b.writable, parent)
	}
	if !file {
		return os.MkdirAll(point, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(point), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(point, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// isWritable tells whether p is in a part of the namespace that keeps
// writes in memory.
func (b *builder) isWritable(p string) bool {
	for _, w := range b.writable {
		if p == w || strings.HasPrefix(p, w+"/") || w == "/" {
			return true
		}
	}
	return false
}

func fdPath(f *os.File) string {
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}
