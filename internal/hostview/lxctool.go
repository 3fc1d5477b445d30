package hostview

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// RunLXCTool runs the LXC tool name (lxc-info, ...) and returns its
// combined output and error, keeping LXC's lock files off the build host:
// as root in a view whose mountns.LXCRunDir is the view's memory, otherwise
// with the runtime folder of a user's LXC (XDG_RUNTIME_DIR) in the test's
// temporary folder.
func RunLXCTool(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		c := exec.Command(name, args...)
		c.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
		out, err := c.CombinedOutput()
		return string(out), err
	}
	view := New(t)
	view.Scratch(mountns.LXCRunDir)
	var out bytes.Buffer
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = &out, &out
	err := view.Run(c)
	return out.String(), err
}
