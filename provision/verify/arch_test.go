package verify_test

import (
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// Every lxc.arch line liblxc 5.0.2 refuses is a finding of its own, even
// one a later line overrides: liblxc parses each line and gives up on the
// whole config at the first bad one (lxc.TestArchNamesAgainstLibLXC
// measures which names it refuses).
func TestRefusedArchLines(t *testing.T) {
	for name, change := range map[string]func(string) string{
		"empty value":              replace("lxc.arch = linux64\n", "lxc.arch =\n"),
		"name of a later LXC":      replace("lxc.arch = linux64\n", "lxc.arch = loongarch64\n"),
		"bad line before good one": replace("lxc.arch = linux64\n", "lxc.arch = sparc64\nlxc.arch = linux64\n"),
	} {
		t.Run(name, func(t *testing.T) {
			target := provisioned(t, false)
			edit(t, target, configFile, change)
			r := run(t, verify.Options{Target: target})
			fs := r.Containers[0].Findings
			if r.OK || len(fs) != 1 {
				t.Fatalf("want exactly one finding, got:\n%s", list(fs))
			}
			if f := fs[0]; f.Severity != verify.SeverityError || f.Check != verify.CheckArch || f.File != configFile ||
				!strings.Contains(f.Message, "not an architecture liblxc knows") {
				t.Errorf("finding %s: want an arch error on %s", f, configFile)
			}
		})
	}
}
