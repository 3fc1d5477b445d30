package lxc

// These tests hold the kernel check against lxc-checkconfig (package lxc,
// /usr/bin/lxc-checkconfig) on complete, real kernel configurations: the
// ones Debian ships in linux-config-6.1, the running kernel's
// /proc/config.gz, and configurations derived from them with options
// switched off, deleted, turned into modules, compressed, or given an older
// version header.
//
// Both tools must give the same present/missing verdict on every option
// both check. Where they differ by design:
//
//   - required vs optional is ours to decide (lxc-checkconfig calls only
//     NAMESPACES, IPC_NS and PID_NS mandatory, and exits 0 even then). We
//     require more (UTS_NS: LXC always unshares it; USER_NS with an idmap;
//     CGROUPS; CGROUP_DEVICE), so only "everything lxc-checkconfig calls
//     required is required here too" is asserted.
//   - "Cgroup namespace", "Cgroup v1 ... controller" and the mount point
//     lines probe the machine running lxc-checkconfig, not CONFIG=FILE; they
//     say nothing about FILE and are not compared.
//   - netfilter, FUSE and checkpoint/restore options are not needed by this
//     container and are not checked here.
//   - lxc-checkconfig checks CPUSETS only when CONFIG_SMP is set; we always
//     report it (optional).
//   - lxc-checkconfig is wrong when a line merely contains "CONFIG_X=y": it
//     runs an unanchored grep "CONFIG_X=[y|m]", so a commented-out
//     "# CONFIG_VETH=y" counts as enabled. TestLxcCheckconfigUnanchoredGrep
//     shows that case; we say missing, as the kernel would.

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// checkconfigLabels maps lxc-checkconfig's labels to the options we report
// under that name (the memory controller has two names, by version).
var checkconfigLabels = map[string][]string{
	"Namespaces":                  {"CONFIG_NAMESPACES"},
	"Utsname namespace":           {"CONFIG_UTS_NS"},
	"Ipc namespace":               {"CONFIG_IPC_NS"},
	"Pid namespace":               {"CONFIG_PID_NS"},
	"User namespace":              {"CONFIG_USER_NS"},
	"Network namespace":           {"CONFIG_NET_NS"},
	"Multiple /dev/pts instances": {"CONFIG_DEVPTS_MULTIPLE_INSTANCES"},
	"Cgroups":                     {"CONFIG_CGROUPS"},
	"Cgroup device":               {"CONFIG_CGROUP_DEVICE"},
	"Cgroup sched":                {"CONFIG_CGROUP_SCHED"},
	"Cgroup cpu account":          {"CONFIG_CGROUP_CPUACCT"},
	"Cgroup memory controller":    {"CONFIG_MEMCG", "CONFIG_CGROUP_MEM_RES_CTLR"},
	"Cgroup cpuset":               {"CONFIG_CPUSETS"},
	"Veth pair device":            {"CONFIG_VETH"},
	"Macvlan":                     {"CONFIG_MACVLAN"},
	"Vlan":                        {"CONFIG_VLAN_8021Q"},
	"Bridges":                     {"CONFIG_BRIDGE"},
	"File capabilities":           {"CONFIG_SECURITY_FILE_CAPABILITIES"},
}

var (
	ansiRE        = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	verdictLineRE = regexp.MustCompile(`^([^:]+): (enabled|missing|required)\b`)
)

type checkconfigVerdict struct {
	enabled  bool
	required bool // lxc-checkconfig printed "required" (mandatory and missing)
}

// runCheckconfig runs CONFIG=path lxc-checkconfig and returns its verdicts
// by label.
func runCheckconfig(t *testing.T, path string) map[string]checkconfigVerdict {
	t.Helper()
	cmd := exec.Command("lxc-checkconfig")
	cmd.Env = append(os.Environ(), "CONFIG="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("CONFIG=%s lxc-checkconfig: %v\n%s", path, err, out)
	}
	verdicts := map[string]checkconfigVerdict{}
	for _, line := range strings.Split(ansiRE.ReplaceAllString(string(out), ""), "\n") {
		if m := verdictLineRE.FindStringSubmatch(line); m != nil {
			verdicts[m[1]] = checkconfigVerdict{enabled: m[2] == "enabled", required: m[2] == "required"}
		}
	}
	return verdicts
}

// compareWithCheckconfig checks one file with both tools and returns how
// many options were compared.
func compareWithCheckconfig(t *testing.T, path string) int {
	t.Helper()
	cfg, err := ReadKernelConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]KernelFinding{}
	for _, f := range CheckKernel(cfg, DefaultKernelNeeds()) {
		ours[f.Name] = f
	}
	compared := 0
	for label, v := range runCheckconfig(t, path) {
		names, known := checkconfigLabels[label]
		if !known {
			continue // host probes and options this container does not need
		}
		var f KernelFinding
		found := false
		for _, n := range names {
			if f, found = ours[n]; found {
				break
			}
		}
		if !found {
			t.Errorf("%s: lxc-checkconfig checks %q (%v), we report none of %v", path, label, names, v)
			continue
		}
		compared++
		if f.Present != v.enabled {
			t.Errorf("%s: %s: lxc-checkconfig says enabled=%v, we say present=%v", path, f.Name, v.enabled, f.Present)
		}
		if v.required && !f.Required {
			t.Errorf("%s: lxc-checkconfig calls %s required, we call it optional", path, f.Name)
		}
	}
	return compared
}

// debianKernelConfigs returns the configurations of Debian's linux-config-6.1
// (which make test-deps downloads and unpacks) decompressed by xz(1)
// (lxc-checkconfig reads plain or gzip only). Our own xz reading is checked
// against them on the way.
func debianKernelConfigs(t *testing.T) []string {
	t.Helper()
	pkg := treetest.Unpacked(t, "linux-config-6.1")
	// xz -dk writes beside its input: decompress copies, not the shared cache.
	tree := t.TempDir()
	treetest.Run(t, "cp", "-a", filepath.Join(pkg, "usr"), tree)
	xzs, _ := filepath.Glob(filepath.Join(tree, "usr/src/linux-config-6.1/config.*.xz"))
	if len(xzs) == 0 {
		t.Fatal("linux-config-6.1 holds no config.*.xz")
	}
	var plain []string
	for _, x := range xzs {
		if out, err := exec.Command("xz", "-dk", x).CombinedOutput(); err != nil {
			t.Fatalf("xz -dk %s: %v\n%s", x, err, out)
		}
		p := strings.TrimSuffix(x, ".xz")
		fromXZ, err := ReadKernelConfig(x)
		if err != nil {
			t.Fatal(err)
		}
		fromPlain, err := ReadKernelConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromXZ.values) != len(fromPlain.values) || fromXZ.Version != fromPlain.Version || len(fromXZ.values) < 1000 {
			t.Fatalf("%s: xz read gives %d options (%v), xz(1) gives %d (%v)", x, len(fromXZ.values), fromXZ.Version, len(fromPlain.values), fromPlain.Version)
		}
		plain = append(plain, p)
	}
	return plain
}

// edit rewrites a config line by line: a line whose option is in change
// becomes change[option] ("" deletes it).
func edit(text string, change map[string]string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		name := strings.TrimSpace(line)
		if m := assignRE.FindStringSubmatch(name); m != nil {
			name = m[1]
		} else if m := notSetRE.FindStringSubmatch(name); m != nil {
			name = m[1]
		}
		if repl, ok := change[name]; ok {
			if repl != "" {
				b.WriteString(repl + "\n")
			}
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// withHeader replaces the "# Linux/... Kernel Configuration" line.
func withHeader(text, header string) string {
	return headerLineRE.ReplaceAllString(text, header)
}

var headerLineRE = regexp.MustCompile(`(?m)^# Linux/\S+ \S+ Kernel Configuration$`)

// derivedConfigs writes variants of one real config into dir.
func derivedConfigs(t *testing.T, base, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !headerLineRE.MatchString(text) {
		t.Fatalf("%s has no version header to rewrite", base)
	}
	variants := map[string]string{
		"as-is":         text,
		"user-ns-unset": edit(text, map[string]string{"CONFIG_USER_NS": "# CONFIG_USER_NS is not set"}),
		"deleted": edit(text, map[string]string{
			"CONFIG_PID_NS": "", "CONFIG_NET_NS": "", "CONFIG_CGROUP_DEVICE": "", "CONFIG_VETH": "",
			"CONFIG_MEMCG": "", "CONFIG_CPUSETS": "", "CONFIG_NAMESPACES": "",
		}),
		"modules": edit(text, map[string]string{
			"CONFIG_VETH": "CONFIG_VETH=m", "CONFIG_BRIDGE": "CONFIG_BRIDGE=m",
			"CONFIG_MACVLAN": "CONFIG_MACVLAN=m", "CONFIG_VLAN_8021Q": "CONFIG_VLAN_8021Q=m",
		}),
		// Before 4.7 both check CONFIG_DEVPTS_MULTIPLE_INSTANCES.
		"linux-4.4-devpts":    withHeader(text, "# Linux/x86 4.4.0 Kernel Configuration") + "CONFIG_DEVPTS_MULTIPLE_INSTANCES=y\n",
		"linux-4.4-no-devpts": withHeader(text, "# Linux/x86 4.4.0 Kernel Configuration"),
		// Before 3.6 the memory controller had its old name; before 2.6.33
		// file capabilities had an option (absent here).
		"linux-2.6.32": withHeader(edit(text, map[string]string{"CONFIG_MEMCG": "CONFIG_CGROUP_MEM_RES_CTLR=y"}), "# Linux/x86 2.6.32 Kernel Configuration"),
		"linux-2.6.32-filecaps": withHeader(edit(text, map[string]string{"CONFIG_MEMCG": "# CONFIG_CGROUP_MEM_RES_CTLR is not set"}),
			"# Linux/x86 2.6.32 Kernel Configuration") + "CONFIG_SECURITY_FILE_CAPABILITIES=y\n",
	}
	paths := map[string]string{}
	for name, content := range variants {
		paths[name] = writeFile(t, filepath.Join(dir, name), []byte(content))
	}
	// A gzipped copy of the "deleted" variant: both tools sniff gzip.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(variants["deleted"]))
	zw.Close()
	paths["deleted.gz"] = writeFile(t, filepath.Join(dir, "deleted.gz"), gz.Bytes())
	return paths
}

func needCheckconfig(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("lxc-checkconfig"); err != nil {
		t.Skip("needs lxc-checkconfig (Debian package lxc)")
	}
}

func TestKernelCheckAgreesWithLxcCheckconfig(t *testing.T) {
	needCheckconfig(t)
	bases := debianKernelConfigs(t)
	for _, base := range bases {
		t.Run(filepath.Base(base), func(t *testing.T) {
			for name, path := range derivedConfigs(t, base, t.TempDir()) {
				if n := compareWithCheckconfig(t, path); n < 15 {
					t.Errorf("%s: only %d options compared; lxc-checkconfig output not understood", name, n)
				}
			}
		})
	}
}

// TestKernelCheckDerivedVerdicts pins what the derived configs must show,
// so agreement cannot come from both tools reading nothing.
func TestKernelCheckDerivedVerdicts(t *testing.T) {
	needCheckconfig(t)
	base := debianKernelConfigs(t)[0]
	paths := derivedConfigs(t, base, t.TempDir())
	want := map[string]map[string]bool{
		"as-is":                 {"CONFIG_USER_NS": true, "CONFIG_PID_NS": true, "CONFIG_VETH": true, "CONFIG_SECCOMP_FILTER": true},
		"user-ns-unset":         {"CONFIG_USER_NS": false, "CONFIG_PID_NS": true},
		"deleted":               {"CONFIG_PID_NS": false, "CONFIG_NET_NS": false, "CONFIG_CGROUP_DEVICE": false, "CONFIG_VETH": false, "CONFIG_MEMCG": false, "CONFIG_NAMESPACES": false, "CONFIG_USER_NS": true},
		"deleted.gz":            {"CONFIG_PID_NS": false, "CONFIG_USER_NS": true},
		"modules":               {"CONFIG_VETH": true, "CONFIG_BRIDGE": true},
		"linux-4.4-devpts":      {"CONFIG_DEVPTS_MULTIPLE_INSTANCES": true},
		"linux-4.4-no-devpts":   {"CONFIG_DEVPTS_MULTIPLE_INSTANCES": false},
		"linux-2.6.32":          {"CONFIG_CGROUP_MEM_RES_CTLR": true, "CONFIG_SECURITY_FILE_CAPABILITIES": false},
		"linux-2.6.32-filecaps": {"CONFIG_CGROUP_MEM_RES_CTLR": false, "CONFIG_SECURITY_FILE_CAPABILITIES": true},
	}
	for variant, options := range want {
		cfg, err := ReadKernelConfig(paths[variant])
		if err != nil {
			t.Fatal(err)
		}
		report := NewKernelReport(cfg, DefaultKernelNeeds())
		for name, present := range options {
			if f := finding(t, report.Options, name); f.Present != present {
				t.Errorf("%s: %s present=%v, want %v", variant, name, f.Present, present)
			}
		}
		if variant == "user-ns-unset" || variant == "deleted" {
			if report.OK {
				t.Errorf("%s: a required option is missing, report must not be ok", variant)
			}
		}
	}
}

func TestKernelCheckAgreesOnRunningKernel(t *testing.T) {
	needCheckconfig(t)
	if _, err := os.Stat("/proc/config.gz"); err != nil {
		t.Skip("needs /proc/config.gz: this kernel was built without CONFIG_IKCONFIG_PROC")
	}
	if n := compareWithCheckconfig(t, "/proc/config.gz"); n < 15 {
		t.Errorf("only %d options compared", n)
	}
}

// TestLxcCheckconfigUnanchoredGrep documents where lxc-checkconfig is
// wrong: a comment containing "CONFIG_VETH=y" makes it say enabled.
func TestLxcCheckconfigUnanchoredGrep(t *testing.T) {
	needCheckconfig(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "config"), []byte(
		"# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_NAMESPACES=y\n# CONFIG_VETH=y was tried and removed\n"))
	if v := runCheckconfig(t, path)["Veth pair device"]; !v.enabled {
		t.Fatalf("lxc-checkconfig no longer counts a comment as enabled (%+v): fold this case back into the agreement test", v)
	}
	cfg, err := ReadKernelConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Enabled("CONFIG_VETH") {
		t.Error("a comment must not enable CONFIG_VETH")
	}
}
