package hostview

import (
	"os"
	"os/exec"
	"testing"
)

// LXCRunDir is where LXC run by root keeps a lock file for every container
// it looks at or starts (lock/<lxcpath>/<name>), never removed: a view
// puts a tmpfs there.
const LXCRunDir = "/run/lxc"

// RunLXCTool runs the LXC tool name (lxc-info, ...) and returns its
// combined output and error, keeping LXC's lock files off the build host:
// as root in a view whose LXCRunDir is a tmpfs, otherwise with the runtime
// folder of a user's LXC (XDG_RUNTIME_DIR) in the test's temporary folder.
func RunLXCTool(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		c := exec.Command(name, args...)
		c.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
		out, err := c.CombinedOutput()
		return string(out), err
	}
	view := New(t)
	view.Tmpfs(LXCRunDir)
	c, started := view.Command(append([]string{name}, args...)...)
	out, err := c.CombinedOutput()
	if !started() {
		t.Fatalf("prepare the mount namespace for %s: %v\n%s", name, err, out)
	}
	return string(out), err
}
