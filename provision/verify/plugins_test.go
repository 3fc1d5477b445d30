package verify_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// A provisioned plugin whose mode went back to Local still has its
// container: verify without callsigns looks at it and flags the mode,
// rather than saying there is nothing to verify.
func TestUnnamedVerifyFlagsContainerOutOfContainerMode(t *testing.T) {
	for _, mode := range []string{"Local", "Off"} {
		t.Run(mode, func(t *testing.T) {
			target := provisioned(t, false)
			edit(t, target, pluginFile, replace(`"mode": "Container"`, `"mode": "`+mode+`"`))
			r := run(t, verify.Options{Target: target})
			if r.OK || len(r.Containers) != 1 || r.Containers[0].Callsign != "OCDM" || r.Containers[0].Dir != containerDir {
				t.Fatalf("report %+v: want OCDM's container in %s, failing", r, containerDir)
			}
			fs := r.Containers[0].Findings
			if len(fs) != 1 || fs[0].Check != verify.CheckMode || fs[0].File != pluginFile || fs[0].Severity != verify.SeverityError {
				t.Fatalf("want one mode error on %s, got:\n%s", pluginFile, list(fs))
			}
		})
	}
}

// A container folder in any of Thunder's places counts, even without its
// config file (which verify then reports as missing).
func TestUnnamedVerifyFindsContainerFolderInVolatilePath(t *testing.T) {
	target := treetest.SampleTarget(t)
	if err := os.MkdirAll(filepath.Join(target, "tmp/OCDM/Container"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := run(t, verify.Options{Target: target})
	if r.OK || len(r.Containers) != 1 || r.Containers[0].Callsign != "OCDM" {
		t.Fatalf("report %+v: want OCDM, failing", r)
	}
	var checks []string
	for _, f := range r.Containers[0].Findings {
		checks = append(checks, f.Check)
	}
	if len(checks) != 2 || checks[0] != verify.CheckMode || checks[1] != verify.CheckLocation {
		t.Errorf("checks %v: want mode, location", checks)
	}
}
