// Package hostview runs programs in a private mount namespace that shows
// them device paths and keeps what they write off the build host, so a
// test leaves the host as it found it.
package hostview

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// A View prepares a private mount namespace (unshare --mount) for a
// program, such as lxc-execute: it shows the program what the device would
// have and keeps everything written there off the build host:
//
//   - a target folder appears at its device path by a bind mount;
//   - a device path the host lacks appears in an overlay of its nearest
//     existing folder, whose upper layer is a tmpfs: the host's folder is
//     never written;
//   - a tmpfs hides a host folder LXC writes to (its lock files in /run/lxc).
//
// All of it is gone when the namespace ends with the program. The commands
// are a shell script whose paths are positional arguments, never quoted
// into the script.
type View struct {
	t      testing.TB
	binds  []bindMount
	tmpfss []string
}

type bindMount struct {
	source, target string
	file           bool // the mount point is a file, not a folder
}

// New returns an empty view for the test t.
func New(t testing.TB) *View {
	return &View{t: t}
}

// Bind shows the host folder source at target.
func (v *View) Bind(source, target string) {
	v.binds = append(v.binds, bindMount{source: source, target: target})
}

// BindFile shows the host file source at target.
func (v *View) BindFile(source, target string) {
	v.binds = append(v.binds, bindMount{source: source, target: target, file: true})
}

// Tmpfs puts an empty tmpfs on dir.
func (v *View) Tmpfs(dir string) {
	v.tmpfss = append(v.tmpfss, dir)
}

// Command returns the command that prepares the namespace and then runs
// argv in it, and a function that tells, once it has run, whether argv was
// started: a failure to prepare the namespace is the test's, not argv's.
// It needs root.
func (v *View) Command(argv ...string) (*exec.Cmd, func() bool) {
	v.t.Helper()
	script, args := v.script()
	started, err := os.CreateTemp(v.t.TempDir(), "started")
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { started.Close() })
	args = append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh"}, args...)
	c := exec.Command("unshare", append(args, argv...)...)
	c.ExtraFiles = []*os.File{started} // the script's file descriptor 3
	return c, func() bool {
		data, err := os.ReadFile(started.Name())
		return err == nil && string(data) == "started\n"
	}
}

// script returns the shell script that prepares the namespace and then
// executes its remaining arguments, and the arguments it reads its paths
// from. Mount points the host lacks are made first, then the tmpfs and
// bind mounts, in the order they were asked for. Just before it executes
// the command, it says so on file descriptor 3 and closes it.
func (v *View) script() (string, []string) {
	v.t.Helper()
	var lines, args []string
	arg := func(s string) string {
		args = append(args, s)
		return fmt.Sprintf(`"${%d}"`, len(args))
	}
	lines = append(lines, "set -e", "mount --make-rprivate /")

	var missing []bindMount // mount points to make, as folders or files
	for _, dir := range v.tmpfss {
		missing = append(missing, bindMount{target: dir})
	}
	missing = append(missing, v.binds...)
	missing = v.absent(missing)
	if overlays := v.overlayRoots(missing); len(overlays) > 0 {
		// The overlays' upper layers live in a tmpfs on a folder of the host
		// (which stays empty there); its path goes into mount options, so it
		// is a plain one from os.MkdirTemp, not the test's temporary folder
		// (whose name may hold a comma).
		scratch, err := os.MkdirTemp("", "hostview-")
		if err != nil {
			v.t.Fatal(err)
		}
		v.t.Cleanup(func() { os.RemoveAll(scratch) })
		lines = append(lines, "mount -t tmpfs -o mode=0700 hostview "+arg(scratch))
		for i, dir := range overlays {
			upper, work := fmt.Sprintf("%s/upper%d", scratch, i), fmt.Sprintf("%s/work%d", scratch, i)
			for _, p := range []string{dir, scratch} {
				if strings.ContainsAny(p, ",:\\") {
					v.t.Fatalf("hostview: %s has a comma, colon or backslash, which overlay mount options cannot hold", p)
				}
			}
			lines = append(lines, fmt.Sprintf("mkdir %s %s", arg(upper), arg(work)),
				fmt.Sprintf("mount -t overlay hostview -o %s %s",
					arg("lowerdir="+dir+",upperdir="+upper+",workdir="+work), arg(dir)))
		}
		// The overlays hold their layers, so the tmpfs can go: left in the
		// temporary folder it would sit under /tmp, which LXC binds into
		// the container non-recursively, and the kernel refuses such a bind
		// in a user namespace when it would hide a mount below it.
		lines = append(lines, "umount -l "+arg(scratch))
	}
	for _, m := range missing {
		if m.file {
			lines = append(lines, fmt.Sprintf("mkdir -p %s; : > %s", arg(filepath.Dir(m.target)), arg(m.target)))
		} else {
			lines = append(lines, "mkdir -p "+arg(m.target))
		}
	}
	for _, dir := range v.tmpfss {
		lines = append(lines, "mount -t tmpfs hostview "+arg(dir))
	}
	for _, b := range v.binds {
		lines = append(lines, fmt.Sprintf("mount --bind %s %s", arg(b.source), arg(b.target)))
	}
	lines = append(lines, fmt.Sprintf("shift %d", len(args)), "echo started >&3", "exec 3>&-", `exec "$@"`)
	return strings.Join(lines, "\n") + "\n", args
}

// absent returns the mount points the build host lacks.
func (v *View) absent(points []bindMount) []bindMount {
	v.t.Helper()
	var out []bindMount
	for _, p := range points {
		_, err := os.Stat(p.target)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrNotExist):
			out = append(out, p)
		default:
			v.t.Fatalf("hostview: mount point %s: %v", p.target, err)
		}
	}
	return out
}

// overlayRoots returns the folders to overlay so that every missing mount
// point can be made without writing to the host: the nearest existing
// folder of each, minus those inside another one (an overlay of an outer
// folder already takes the writes). The host's / cannot be overlaid under
// a running system, so a mount point directly in / fails the test.
func (v *View) overlayRoots(missing []bindMount) []string {
	v.t.Helper()
	var roots []string
	for _, m := range missing {
		dir := filepath.Dir(m.target)
		for {
			if _, err := os.Stat(dir); err == nil {
				break
			}
			dir = filepath.Dir(dir)
		}
		if dir == "/" {
			v.t.Fatalf("hostview: %s is missing on the build host and directly in /, "+
				"which a private view cannot add without changing the host: use a device path in an existing folder (such as /var/log)", m.target)
		}
		roots = append(roots, dir)
	}
	sort.Strings(roots) // a folder sorts before the folders inside it
	var kept []string
	for _, r := range roots {
		if !slices.ContainsFunc(kept, func(k string) bool { return r == k || strings.HasPrefix(r, k+"/") }) {
			kept = append(kept, r)
		}
	}
	return kept
}
