package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// provisionedTarget provisions OCDM into a sample target with the CLI,
// privileged (--no-idmap: the rootfs keeps host owners), from a busybox
// rootfs with an executable /usr/bin/ThunderPlugin.
func provisionedTarget(t *testing.T) string {
	t.Helper()
	treetest.NeedRoot(t)
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
	target := treetest.SampleTarget(t)
	if _, errOut, code := run(t, "provision", "OCDM", "--target", target, "--rootfs", src, "--no-idmap"); code != 0 {
		t.Fatalf("provision: exit %d: %s", code, errOut)
	}
	return target
}

type verifyJSON struct {
	Target     string `json:"target"`
	OK         bool   `json:"ok"`
	Containers []struct {
		Callsign string `json:"callsign"`
		Dir      string `json:"dir"`
		Findings []struct {
			Severity string `json:"severity"`
			Check    string `json:"check"`
			File     string `json:"file"`
			Message  string `json:"message"`
			Fix      string `json:"fix"`
		} `json:"findings"`
	} `json:"containers"`
}

func verifyReport(t *testing.T, args ...string) (verifyJSON, int) {
	t.Helper()
	out, errOut, code := run(t, append([]string{"verify", "--json"}, args...)...)
	var r verifyJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json output is not JSON (%v): %q, stderr %q", err, out, errOut)
	}
	// Every key of the contract is there, findings an array even when empty.
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"target", "ok", "containers"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	if !strings.Contains(out, `"findings": [`) {
		t.Errorf("findings is not an array: %s", out)
	}
	return r, code
}

func TestVerifyCLI(t *testing.T) {
	target := provisionedTarget(t)
	r, code := verifyReport(t, "--target", target)
	if code != 0 || !r.OK || r.Target != target || len(r.Containers) != 1 || r.Containers[0].Dir != "/usr/share/Thunder/OCDM/Container" {
		t.Fatalf("exit %d, report %+v: want 0, ok, OCDM", code, r)
	}
	for _, f := range r.Containers[0].Findings {
		if f.Severity == "error" {
			t.Errorf("error on a freshly provisioned target: %+v", f)
		}
	}

	config := filepath.Join(target, "usr/share/Thunder/OCDM/Container/config")
	data, _ := os.ReadFile(config)
	os.WriteFile(config, append(data, "lxc.utsname = OCDM\n"...), 0o644)
	r, code = verifyReport(t, "--target", target, "OCDM")
	if code != 1 || r.OK {
		t.Fatalf("exit %d, ok %v: want 1 and false for a legacy key", code, r.OK)
	}
	var keys []string
	for _, f := range r.Containers[0].Findings {
		if f.Severity == "error" {
			keys = append(keys, f.Check+" "+f.File+" "+f.Fix)
		}
	}
	if len(keys) != 1 || keys[0] != "key /usr/share/Thunder/OCDM/Container/config rename it to lxc.uts.name (lxc-update-config -c FILE does it)" {
		t.Errorf("errors %q: want the one legacy key", keys)
	}

	out, errOut, code := run(t, "verify", "--target", target)
	if code != 1 || !strings.Contains(out, "would NOT start") || !strings.Contains(out, "fix: rename it to lxc.uts.name") || !strings.Contains(errOut, "1 problem(s)") {
		t.Errorf("text: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestVerifyUsage(t *testing.T) {
	if _, _, code := run(t, "verify"); code != 2 {
		t.Errorf("verify without --target: exit %d, want 2", code)
	}
	if _, _, code := run(t, "verify", "--target", t.TempDir(), "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if _, errOut, code := run(t, "verify", "--target", filepath.Join(t.TempDir(), "missing")); code != 1 || !strings.Contains(errOut, "is not a folder") {
		t.Errorf("missing target: exit %d, %q; want 1 naming the problem", code, errOut)
	}
}

// With the default ID map the rootfs is shifted and verify is content;
// --no-shift-ids leaves it owned by host root, which verify explains.
func TestVerifyIDShifting(t *testing.T) {
	treetest.NeedRoot(t)
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
	for _, c := range []struct {
		flags []string
		code  int
	}{{nil, 0}, {[]string{"--no-shift-ids"}, 1}} {
		target := treetest.SampleTarget(t)
		args := append([]string{"provision", "OCDM", "--target", target, "--rootfs", src}, c.flags...)
		if _, errOut, code := run(t, args...); code != 0 {
			t.Fatalf("provision %v: exit %d: %s", c.flags, code, errOut)
		}
		r, code := verifyReport(t, "--target", target)
		var errs []string
		for _, f := range r.Containers[0].Findings {
			if f.Severity == "error" {
				errs = append(errs, f.Check+" "+f.File)
			}
		}
		want := ""
		if c.code == 1 {
			want = "owner /usr/share/Thunder/OCDM/Container/rootfs"
		}
		if code != c.code || strings.Join(errs, "; ") != want {
			t.Errorf("provision %v: verify exit %d, errors %q; want %d, %q", c.flags, code, errs, c.code, want)
		}
	}
}

// verify without callsigns looks at a provisioned container whose plugin
// is no longer in Container mode, and flags the mode: exit 1, not "nothing
// to verify".
func TestVerifyFlagsContainerOutOfContainerMode(t *testing.T) {
	target := provisionedTarget(t)
	plugin := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	data, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(string(data), `"mode": "Container"`, `"mode": "Local"`, 1)
	if local == string(data) {
		t.Fatalf("provisioned plugin config has no Container mode:\n%s", data)
	}
	if err := os.WriteFile(plugin, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := verifyReport(t, "--target", target)
	if code != 1 || r.OK || len(r.Containers) != 1 || r.Containers[0].Callsign != "OCDM" {
		t.Fatalf("exit %d, report %+v: want 1 and OCDM failing", code, r)
	}
	var errs []string
	for _, f := range r.Containers[0].Findings {
		if f.Severity == "error" {
			errs = append(errs, f.Check+" "+f.File)
		}
	}
	if strings.Join(errs, "; ") != "mode /etc/Thunder/plugins/OCDM.json" {
		t.Errorf("errors %q: want the one mode error", errs)
	}
	out, _, _ := run(t, "verify", "--target", target)
	if !strings.Contains(out, "the plugin's mode is Local, so Thunder does not start it in its container") {
		t.Errorf("text output does not say the mode:\n%s", out)
	}
}
