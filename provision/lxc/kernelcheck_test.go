package lxc

import (
	"strings"
	"testing"
)

func parse(t *testing.T, text string) KernelConfig {
	t.Helper()
	cfg, err := ParseKernelConfig(strings.NewReader(text), "test")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func finding(t *testing.T, fs []KernelFinding, name string) KernelFinding {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no finding %s", name)
	return KernelFinding{}
}

func TestCheckKernelRequiredFollowsNeeds(t *testing.T) {
	cfg := parse(t, "# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_NAMESPACES=y\n")
	cases := []struct {
		needs    KernelNeeds
		required []string
		optional []string
	}{
		{DefaultKernelNeeds(),
			[]string{"CONFIG_NAMESPACES", "CONFIG_UTS_NS", "CONFIG_IPC_NS", "CONFIG_PID_NS", "CONFIG_NET_NS", "CONFIG_USER_NS", "CONFIG_CGROUPS", "CONFIG_CGROUP_DEVICE", "CONFIG_SECURITY_FILE_CAPABILITIES"},
			[]string{"CONFIG_VETH", "CONFIG_BRIDGE", "CONFIG_MACVLAN", "CONFIG_SECCOMP", "CONFIG_SECCOMP_FILTER", "CONFIG_MEMCG", "CONFIG_CGROUP_FREEZER", "CONFIG_CGROUP_PIDS", "CONFIG_CPUSETS", "CONFIG_CGROUP_SCHED", "CONFIG_POSIX_MQUEUE", "CONFIG_DEVPTS_MULTIPLE_INSTANCES"}},
		{KernelNeeds{IDMap: false, Network: "none"},
			[]string{"CONFIG_PID_NS"},
			[]string{"CONFIG_USER_NS", "CONFIG_NET_NS"}},
		{KernelNeeds{IDMap: true, Network: "veth", Seccomp: true},
			[]string{"CONFIG_USER_NS", "CONFIG_VETH", "CONFIG_BRIDGE", "CONFIG_SECCOMP", "CONFIG_SECCOMP_FILTER", "CONFIG_NET_NS"},
			[]string{"CONFIG_MACVLAN", "CONFIG_VLAN_8021Q"}},
		{KernelNeeds{Network: "macvlan"},
			[]string{"CONFIG_MACVLAN"},
			[]string{"CONFIG_VETH", "CONFIG_BRIDGE", "CONFIG_USER_NS"}},
		{KernelNeeds{Network: ""}, // LXC's default: an empty network namespace
			[]string{"CONFIG_NET_NS"},
			nil},
	}
	for _, c := range cases {
		got := CheckKernel(cfg, c.needs)
		for _, name := range c.required {
			if !finding(t, got, name).Required {
				t.Errorf("%+v: %s should be required", c.needs, name)
			}
		}
		for _, name := range c.optional {
			if finding(t, got, name).Required {
				t.Errorf("%+v: %s should be optional", c.needs, name)
			}
		}
	}
}

func TestCheckKernelEveryFindingExplains(t *testing.T) {
	cfg := parse(t, "CONFIG_X=y\n")
	seen := map[string]bool{}
	for _, f := range CheckKernel(cfg, DefaultKernelNeeds()) {
		if seen[f.Name] {
			t.Errorf("%s reported twice", f.Name)
		}
		seen[f.Name] = true
		if len(f.Why) < 30 || strings.Contains(f.Why, "\n") {
			t.Errorf("%s: why must be one explaining line, got %q", f.Name, f.Why)
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d options reported", len(seen))
	}
}

func TestCheckKernelRemovedAndRenamedOptions(t *testing.T) {
	// 2.6.32: before file capabilities became unconditional, before devpts
	// instances became unconditional, when MEMCG was CGROUP_MEM_RES_CTLR.
	old := parse(t, `# Linux kernel version: 2.6.32
CONFIG_CGROUP_MEM_RES_CTLR=y
# CONFIG_SECURITY_FILE_CAPABILITIES is not set
CONFIG_DEVPTS_MULTIPLE_INSTANCES=y
CONFIG_MEMCG=y
`)
	got := CheckKernel(old, DefaultKernelNeeds())
	if f := finding(t, got, "CONFIG_SECURITY_FILE_CAPABILITIES"); f.Present || !f.Required {
		t.Errorf("2.6.32 without file capabilities: %+v", f)
	}
	if f := finding(t, got, "CONFIG_DEVPTS_MULTIPLE_INSTANCES"); !f.Present {
		t.Errorf("2.6.32 with devpts instances: %+v", f)
	}
	if f := finding(t, got, "CONFIG_CGROUP_MEM_RES_CTLR"); !f.Present || !strings.Contains(f.Why, "CONFIG_CGROUP_MEM_RES_CTLR before Linux 3.6") {
		t.Errorf("2.6.32 memory controller under its old name: %+v", f)
	}

	// 6.1: the removed options never appear, the features are always on.
	cur := parse(t, "# Linux/arm64 6.1.0 Kernel Configuration\n# CONFIG_MEMCG is not set\n")
	got = CheckKernel(cur, DefaultKernelNeeds())
	for _, name := range []string{"CONFIG_SECURITY_FILE_CAPABILITIES", "CONFIG_DEVPTS_MULTIPLE_INSTANCES"} {
		if f := finding(t, got, name); !f.Present || !strings.Contains(f.Why, "where the option was removed") {
			t.Errorf("6.1 %s: %+v", name, f)
		}
	}
	if f := finding(t, got, "CONFIG_MEMCG"); f.Present {
		t.Errorf("6.1 MEMCG not set: %+v", f)
	}
	if f := finding(t, got, "CONFIG_SECURITY_FILE_CAPABILITIES"); !strings.Contains(f.Why, "since Linux 2.6.33,") {
		t.Errorf("file capabilities must name 2.6.33: %q", f.Why)
	}
	if f := finding(t, got, "CONFIG_DEVPTS_MULTIPLE_INSTANCES"); !strings.Contains(f.Why, "since Linux 4.7,") {
		t.Errorf("devpts instances must name 4.7: %q", f.Why)
	}
}

func TestNewKernelReportOK(t *testing.T) {
	full := "# Linux/x86 6.1.0 Kernel Configuration\n"
	for _, o := range []string{"NAMESPACES", "UTS_NS", "IPC_NS", "PID_NS", "NET_NS", "USER_NS", "CGROUPS", "CGROUP_DEVICE"} {
		full += "CONFIG_" + o + "=y\n"
	}
	if r := NewKernelReport(parse(t, full), DefaultKernelNeeds()); !r.OK || r.Config != "test" {
		t.Errorf("every required option set: report %+v", r)
	}
	without := strings.Replace(full, "CONFIG_USER_NS=y", "# CONFIG_USER_NS is not set", 1)
	r := NewKernelReport(parse(t, without), DefaultKernelNeeds())
	if missing := MissingRequired(r.Options); r.OK || len(missing) != 1 || missing[0].Name != "CONFIG_USER_NS" {
		t.Errorf("USER_NS off: ok=%v missing=%+v", r.OK, missing)
	}
	if r := NewKernelReport(parse(t, without), KernelNeeds{IDMap: false}); !r.OK {
		t.Errorf("USER_NS off without an idmap must pass")
	}
}
