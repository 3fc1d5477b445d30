package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// testKernelConfig has every option the default container requires unless
// dropped ("# CONFIG_X is not set").
func testKernelConfig(t *testing.T, drop ...string) string {
	t.Helper()
	text := "# Linux/arm 6.1.44 Kernel Configuration\n"
	for _, o := range []string{"NAMESPACES", "UTS_NS", "IPC_NS", "PID_NS", "NET_NS", "USER_NS", "CGROUPS", "CGROUP_DEVICE", "VETH"} {
		if slices.Contains(drop, o) {
			text += "# CONFIG_" + o + " is not set\n"
		} else {
			text += "CONFIG_" + o + "=y\n"
		}
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// kernelJSON decodes the --json report, insisting on the stable shape:
// exactly schema, command, config, ok, options (and error, errorKind when
// an option is missing); each option exactly name, present, required, why.
func kernelJSON(t *testing.T, out string) lxc.KernelReport {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []string{"command", "config", "ok", "options", "schema"}
	if _, failed := raw["error"]; failed {
		want = []string{"command", "config", "error", "errorKind", "ok", "options", "schema"}
	}
	if keys := sortedKeys(raw); !slices.Equal(keys, want) {
		t.Fatalf("top-level keys %v, want %v", keys, want)
	}
	if string(raw["command"]) != `"check kernel"` || string(raw["schema"]) != "1" {
		t.Fatalf("command %s, schema %s", raw["command"], raw["schema"])
	}
	var options []map[string]json.RawMessage
	if err := json.Unmarshal(raw["options"], &options); err != nil || len(options) == 0 {
		t.Fatalf("options: %v", err)
	}
	for _, o := range options {
		if keys := sortedKeys(o); !slices.Equal(keys, []string{"name", "present", "required", "why"}) {
			t.Fatalf("option keys %v", keys)
		}
	}
	var r lxc.KernelReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func reportOption(t *testing.T, r lxc.KernelReport, name string) lxc.KernelFinding {
	t.Helper()
	for _, f := range r.Options {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no option %s", name)
	return lxc.KernelFinding{}
}

func TestCheckKernelJSONOK(t *testing.T) {
	file := testKernelConfig(t)
	out, stderr, code := run(t, "check", "kernel", file, "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	r := kernelJSON(t, out)
	if r.Config != file || !r.OK {
		t.Errorf("config %q ok %v", r.Config, r.OK)
	}
	if f := reportOption(t, r, "CONFIG_USER_NS"); !f.Present || !f.Required || f.Why == "" {
		t.Errorf("USER_NS: %+v", f)
	}
}

func TestCheckKernelMissingRequiredExitsOne(t *testing.T) {
	file := testKernelConfig(t, "USER_NS")
	out, stderr, code := run(t, "check", "kernel", file, "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	r := kernelJSON(t, out)
	if r.OK || reportOption(t, r, "CONFIG_USER_NS").Present {
		t.Errorf("ok %v with USER_NS off", r.OK)
	}
	if !strings.Contains(stderr, "CONFIG_USER_NS") || !strings.Contains(stderr, file) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr must be one line naming the file and option: %q", stderr)
	}

	// Without an idmap USER_NS is optional: same file, exit 0.
	if _, _, code := run(t, "check", "kernel", file, "--no-idmap"); code != 0 {
		t.Errorf("--no-idmap: exit %d, want 0", code)
	}
}

func TestCheckKernelHumanOutput(t *testing.T) {
	file := testKernelConfig(t, "PID_NS")
	out, _, code := run(t, "check", "kernel", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var pid, veth string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " CONFIG_PID_NS ") {
			pid = line
		}
		if strings.Contains(line, " CONFIG_VETH ") {
			veth = line
		}
	}
	if !strings.HasPrefix(pid, "✗ required CONFIG_PID_NS") || !strings.Contains(pid, "clone()") {
		t.Errorf("PID_NS line %q", pid)
	}
	if !strings.HasPrefix(veth, "✓ optional CONFIG_VETH") {
		t.Errorf("VETH line %q", veth)
	}
	// --net veth makes VETH and BRIDGE required; BRIDGE is missing.
	out, stderr, code := run(t, "check", "kernel", "--net", "veth", testKernelConfig(t))
	if code != 1 || !strings.Contains(out, "✗ required CONFIG_BRIDGE") || !strings.Contains(stderr, "CONFIG_BRIDGE") {
		t.Errorf("--net veth: exit %d\n%s%s", code, out, stderr)
	}
	// --seccomp keep requires SECCOMP_FILTER.
	if _, stderr, code := run(t, "check", "kernel", "--seccomp", "keep", testKernelConfig(t)); code != 1 || !strings.Contains(stderr, "CONFIG_SECCOMP_FILTER") {
		t.Errorf("--seccomp keep: exit %d, %q", code, stderr)
	}
}

func TestCheckKernelUsageExitsTwo(t *testing.T) {
	file := testKernelConfig(t)
	for _, args := range [][]string{
		{"check", "kernel", file, file},
		{"check", "kernel", "--net", "wifi", file},
		{"check", "kernel", "--seccomp", "maybe", file},
		{"check", "kernel", "--jsn", file},
		{"check"},
		{"check", "firmware"},
		{"check", "buildroot", file, file},
	} {
		if _, stderr, code := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want 2", args, code, stderr)
		}
	}
}

func TestCheckKernelUnreadableFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-config")
	out, stderr, code := run(t, "check", "kernel", missing, "--json")
	var failure struct{ Error, ErrorKind string }
	if err := json.Unmarshal([]byte(out), &failure); code != 1 || err != nil {
		t.Fatalf("exit %d, stdout %q (%v): want 1 and a JSON report", code, out, err)
	}
	if !strings.Contains(failure.Error, missing) || failure.ErrorKind != "failed" {
		t.Errorf("JSON error %+v: want the file named, kind failed", failure)
	}
	if strings.Count(stderr, "\n") != 1 || strings.Count(stderr, missing) != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("want one line naming the file once: %q", stderr)
	}
	notConfig := filepath.Join(t.TempDir(), "plugin.json")
	os.WriteFile(notConfig, []byte(`{"locator":"libX.so"}`), 0o644)
	if _, stderr, code := run(t, "check", "kernel", notConfig); code != 1 || !strings.Contains(stderr, notConfig) {
		t.Errorf("not a config: exit %d, %q", code, stderr)
	}
}

func TestCheckKernelDefaultProcConfig(t *testing.T) {
	old := lxc.ProcConfigPath
	t.Cleanup(func() { lxc.ProcConfigPath = old })

	lxc.ProcConfigPath = filepath.Join(t.TempDir(), "config.gz")
	_, stderr, code := run(t, "check", "kernel")
	if code != 1 || !strings.Contains(stderr, lxc.ProcConfigPath) || !strings.Contains(stderr, "CONFIG_IKCONFIG_PROC") {
		t.Errorf("no /proc/config.gz: exit %d, %q", code, stderr)
	}

	lxc.ProcConfigPath = old
	if _, err := os.Stat(old); err != nil {
		t.Skip("needs /proc/config.gz: this kernel was built without CONFIG_IKCONFIG_PROC")
	}
	out, _, code := run(t, "check", "kernel", "--json")
	r := kernelJSON(t, out)
	if r.Config != old || (code == 0) != r.OK {
		t.Errorf("running kernel: config %q, exit %d, ok %v", r.Config, code, r.OK)
	}
}

func TestCheckKernelBuildrootOutputFolder(t *testing.T) {
	out := t.TempDir()
	kc := filepath.Join(out, "build", "linux-6.1.44", ".config")
	os.MkdirAll(filepath.Dir(kc), 0o755)
	data, _ := os.ReadFile(testKernelConfig(t))
	os.WriteFile(kc, data, 0o644)
	stdout, _, code := run(t, "check", "kernel", out, "--json")
	if r := kernelJSON(t, stdout); code != 0 || r.Config != kc {
		t.Errorf("exit %d, config %q, want %q", code, r.Config, kc)
	}
}

const testBuildrootConfig = `BR2_HAVE_DOT_CONFIG=y
BR2_ARCH="arm"
BR2_PACKAGE_LXC=y
# BR2_PACKAGE_LIBSECCOMP is not set
BR2_PACKAGE_THUNDER=y
BR2_PACKAGE_THUNDER_PROCESSCONTAINERS=y
BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC=y
BR2_LINUX_KERNEL=y
BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG=y
BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE="board/linux.config"
`

func TestCheckBuildrootCommand(t *testing.T) {
	top := t.TempDir()
	os.MkdirAll(filepath.Join(top, "board"), 0o755)
	kernel, _ := os.ReadFile(testKernelConfig(t))
	os.WriteFile(filepath.Join(top, "board", "linux.config"), kernel, 0o644)
	brc := filepath.Join(top, ".config")
	os.WriteFile(brc, []byte(testBuildrootConfig), 0o644)

	out, stderr, code := run(t, "check", "buildroot", brc, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Config, Family, Seccomp string
		OK                      bool
		Options                 []struct{ Name, Menu string }
		Kernel                  *lxc.KernelReport
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Config != brc || r.Family != "Thunder" || r.Seccomp != "comment" || !r.OK || r.Kernel == nil || !r.Kernel.OK {
		t.Errorf("report %+v", r)
	}

	// Turn the LXC backend off: exit 1, the menu entry is printed.
	os.WriteFile(brc, []byte(strings.Replace(testBuildrootConfig,
		"BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC=y", "# BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC is not set", 1)), 0o644)
	out, stderr, code = run(t, "check", "buildroot", brc)
	if code != 1 || !strings.Contains(stderr, "BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC") {
		t.Errorf("BE_LXC off: exit %d, %q", code, stderr)
	}
	for _, want := range []string{
		"✗ required BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC",
		"enable: External options → thunder → Extensions → Process Containers → LXC",
		"enable: Target packages → Libraries → Other → libseccomp",
		"lxc.seccomp.profile must be commented",
		"kernel config " + filepath.Join(top, "board", "linux.config"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A kernel option missing fails the Buildroot check too.
	os.WriteFile(brc, []byte(testBuildrootConfig), 0o644)
	os.WriteFile(filepath.Join(top, "board", "linux.config"), []byte(strings.Replace(string(kernel), "CONFIG_CGROUPS=y", "", 1)), 0o644)
	if _, stderr, code := run(t, "check", "buildroot", brc); code != 1 || !strings.Contains(stderr, "CONFIG_CGROUPS") {
		t.Errorf("kernel without cgroups: exit %d, %q", code, stderr)
	}

	missing := filepath.Join(top, "nope", ".config")
	if _, stderr, code := run(t, "check", "buildroot", missing); code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, missing) {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
}

// check buildroot without FILE where there is no .config says where to run
// it, or to name the file.
func TestCheckBuildrootOutsideABuildrootFolder(t *testing.T) {
	here := t.TempDir()
	t.Chdir(here)
	_, errOut, code := run(t, "check", "buildroot")
	for _, want := range []string{"no .config in the current folder " + here, "Buildroot output folder", "thunder-lxc check buildroot DIR/.config"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
	if code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want 1 and one line", code, errOut)
	}
	// There, it reads ./.config.
	brc := buildrootTree(t, testBuildrootConfig)
	t.Chdir(filepath.Dir(brc))
	if out, errOut, code := run(t, "check", "buildroot"); code != 0 || !strings.HasPrefix(out, "buildroot config .config (Thunder)") {
		t.Errorf("in the Buildroot folder: exit %d, %q %q", code, out, errOut)
	}
}
