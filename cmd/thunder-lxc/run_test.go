package main

import (
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// Command-line mistakes exit 2 and say what to write instead; a target
// without the plugin or its container exits 1 and says what to do.
func TestRunUsage(t *testing.T) {
	target := treetest.SampleTarget(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--target", target}, 2, "no callsign"},
		{[]string{"run", "OCDM", "/bin/sh", "--target", target}, 2, "one callsign, then the command after --: thunder-lxc run OCDM --target DIR -- /bin/sh"},
		{[]string{"run", "OCDM", "--target", target, "--"}, 2, "nothing after --"},
		{[]string{"run", "OCDM"}, 2, "--target: give the folder"},
		{[]string{"run", "OCDM", "--target", target, "--env", "FOO"}, 2, `--env "FOO": give NAME=VALUE`},
		{[]string{"run", "Nope", "--target", target}, 1, `no plugin config for callsign "Nope"`},
		{[]string{"run", "OCDM", "--target", target}, 1, "no container for OCDM: Thunder looks for /tmp/OCDM/Container, /root/Thunder/OCDM/Container, /usr/share/Thunder/OCDM/Container (a folder with a config file) and the target has none of them: provision it first (thunder-lxc provision OCDM --target DIR)"},
	} {
		_, stderr, code := run(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want exit %d saying %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// The callsign completes from the target; nothing after it.
func TestRunCompletesOneCallsign(t *testing.T) {
	target := treetest.SampleTarget(t)
	out, _, _ := run(t, "__complete", "run", "--target", target, "")
	if !strings.HasPrefix(out, "DeviceInfo\nOCDM\n:4\n") {
		t.Errorf("the callsign completes to %q, want the target's DeviceInfo and OCDM", out)
	}
	if out, _, _ := run(t, "__complete", "run", "OCDM", "--target", target, ""); !strings.HasPrefix(out, ":4\n") {
		t.Errorf("after the callsign: %q, want nothing", out)
	}
}
