package thundere2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// WPEFramework R4.4 (hosting process WPEProcess, /etc/WPEFramework): its
// install leaves the image's / at 0770, which provision warns about and
// verify names; with / at 0755 the plugin runs in its container as host
// uid 100000, and its log line reaches WPEFramework.
func TestWPEFrameworkR4RunsThePluginInItsContainer(t *testing.T) {
	in := NeedInputs(t, R4)
	say := token("r4")
	d := NewDevice(t, in, WPEFrameworkR4, map[string]any{"say": say})
	info, err := os.Stat(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	installed := info.Mode().Perm()
	out := d.Provision(t)
	if installed == 0o770 {
		if !strings.Contains(out, "/ (host owner 0:0, mode 0770) does not let the container's root") {
			t.Errorf("provision does not warn about the / R4's install left at 0770:\n%s", out)
		}
		if r := d.Verify(t); r.OK || len(r.Containers) != 1 || len(r.Containers[0].Findings) != 1 || r.Containers[0].Findings[0].Check != verify.CheckTraversal {
			t.Errorf("verify with / at 0770: %+v; want one traversal error", r)
		}
		if err := os.Chmod(d.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("R4's install left / at %04o this time, not 0770", installed)
	}
	assertWouldStart(t, d)
	th := Start(t, d, StartOptions{})
	w := th.Activate(t)
	assertInContainer(t, th, w, 100000)
	if !th.WaitForMessage(t, say, 10*time.Second) {
		t.Errorf("the plugin's log line %q never reached WPEFramework; messages: %q", say, th.Messages(t))
	}
}
