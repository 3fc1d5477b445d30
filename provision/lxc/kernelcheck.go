package lxc

import "fmt"

// KernelNeeds says what the container asks of the kernel, so the check can
// tell required options from optional ones.
type KernelNeeds struct {
	// IDMap: the config has lxc.idmap lines (the default container does).
	IDMap bool
	// Network is lxc.net.0.type: "empty" (the default: own namespace with
	// only loopback), "none" (the host's network), "veth", "macvlan",
	// "vlan", "phys". "" is taken as "empty", LXC's default without lxc.net.
	Network string
	// Seccomp: lxc.seccomp.profile stays active in common.conf.
	Seccomp bool
}

// DefaultKernelNeeds is what the container provisioned with the default
// flags needs: an ID map, an empty network namespace, and the seccomp line
// commented out as the Thunder LXC guide does.
func DefaultKernelNeeds() KernelNeeds {
	return KernelNeeds{IDMap: true, Network: "empty", Seccomp: false}
}

// KernelFinding is the verdict on one kernel option.
type KernelFinding struct {
	Name     string `json:"name"`
	Present  bool   `json:"present"`
	Required bool   `json:"required"`
	Why      string `json:"why"`
}

// KernelReport is the stable JSON shape of `check kernel --json`.
type KernelReport struct {
	Config  string          `json:"config"`
	OK      bool            `json:"ok"`
	Options []KernelFinding `json:"options"`
}

// NewKernelReport checks cfg against needs. OK is false when a required
// option is missing.
func NewKernelReport(cfg KernelConfig, needs KernelNeeds) KernelReport {
	findings := CheckKernel(cfg, needs)
	return KernelReport{Config: cfg.Source, OK: len(MissingRequired(findings)) == 0, Options: findings}
}

// MissingRequired returns the required options that are not present.
func MissingRequired(findings []KernelFinding) []KernelFinding {
	var missing []KernelFinding
	for _, f := range findings {
		if f.Required && !f.Present {
			missing = append(missing, f)
		}
	}
	return missing
}

// CheckKernel reports every option LXC and the container need, in a fixed
// order, each as required or optional for these needs.
func CheckKernel(cfg KernelConfig, needs KernelNeeds) []KernelFinding {
	findings := make([]KernelFinding, 0, len(kernelOptions))
	for _, opt := range kernelOptions {
		findings = append(findings, opt.check(cfg, needs))
	}
	return findings
}

// kernelOption describes one option: how to find it in a config of any
// kernel version and when the container cannot do without it.
type kernelOption struct {
	name string
	why  string // what breaks without it
	// renamed: before renamedIn the option was called oldName.
	oldName   string
	renamedIn KernelVersion
	// alwaysOnSince: the option was removed in this version because the
	// feature became unconditional; newer configs never mention it.
	alwaysOnSince KernelVersion
	// requiredWhen decides required; nil means always required.
	requiredWhen func(KernelNeeds) bool
	// when describes requiredWhen for the report ("" when always/never).
	when string
}

func (o kernelOption) check(cfg KernelConfig, needs KernelNeeds) KernelFinding {
	name, why := o.name, o.why
	present := false
	switch {
	case o.alwaysOnSince.Known() && !cfg.Version.Before(o.alwaysOnSince.Major, o.alwaysOnSince.Minor, o.alwaysOnSince.Patch):
		present = true
		why = fmt.Sprintf("%s; always on since Linux %s, where the option was removed", why, o.alwaysOnSince.short())
		if cfg.Version.Known() {
			why += fmt.Sprintf(" (this config is for %s)", cfg.Version)
		} else {
			why += " (this config names no version: taken as a current kernel)"
		}
	case o.oldName != "" && cfg.Version.Before(o.renamedIn.Major, o.renamedIn.Minor, o.renamedIn.Patch):
		name = o.oldName
		present = cfg.Enabled(name)
		why = fmt.Sprintf("%s (called %s before Linux %s)", why, o.oldName, o.renamedIn.short())
	default:
		present = cfg.Enabled(name)
	}
	required := o.requiredWhen == nil || o.requiredWhen(needs)
	if o.when != "" {
		why += "; " + o.when
	}
	return KernelFinding{Name: name, Present: present, Required: required, Why: why}
}

// short prints 4.7 for 4.7.0 and 2.6.33 for 2.6.33.
func (v KernelVersion) short() string {
	if v.Patch == 0 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return v.String()
}

func never(KernelNeeds) bool { return false }

func network(n KernelNeeds) string {
	if n.Network == "" {
		return "empty"
	}
	return n.Network
}

func netIs(kind string) func(KernelNeeds) bool {
	return func(n KernelNeeds) bool { return network(n) == kind }
}

// kernelOptions is the list, in report order. Required means the container
// does not start (or starts without a protection its config asks for)
// without the option; the reasons are LXC's: it always unshares the mount,
// PID, UTS and IPC namespaces, adds the user namespace for lxc.idmap and the
// network namespace unless lxc.net.0.type = none, and clone() fails with
// EINVAL for a namespace the kernel lacks.
var kernelOptions = []kernelOption{
	{name: "CONFIG_NAMESPACES",
		why: "the switch that enables every namespace below; without it LXC cannot create a container"},
	{name: "CONFIG_UTS_NS",
		why: "LXC always gives the container its own hostname (UTS namespace); without it clone() fails and the container never starts"},
	{name: "CONFIG_IPC_NS",
		why: "LXC always isolates System V IPC and POSIX message queues; without it clone() fails and the container never starts"},
	{name: "CONFIG_PID_NS",
		why: "LXC always starts the container in its own PID namespace; without it clone() fails and the container never starts"},
	{name: "CONFIG_NET_NS",
		why:          "the container's own network stack; without it clone() fails and the container never starts",
		requiredWhen: func(n KernelNeeds) bool { return network(n) != "none" },
		when:         "needed unless lxc.net.0.type = none"},
	{name: "CONFIG_USER_NS",
		why:          "lxc.idmap runs the container in a user namespace so its root is an unprivileged host ID; without it lxc-start fails",
		requiredWhen: func(n KernelNeeds) bool { return n.IDMap },
		when:         "needed when an idmap is used (the default container has one)"},
	{name: "CONFIG_DEVPTS_MULTIPLE_INSTANCES",
		why:           "a private /dev/pts for the container (LXC mounts devpts with newinstance); without it the container shares the host's ptys",
		alwaysOnSince: KernelVersion{4, 7, 0},
		requiredWhen:  never},
	{name: "CONFIG_CGROUPS",
		why: "LXC puts every container in its own cgroup; without cgroups lxc-start fails"},
	{name: "CONFIG_CGROUP_DEVICE",
		why: "devices controller: enforces the device allow-list of common.conf (lxc.cgroup.devices.*); without it LXC fails to apply those lines on cgroup v1 and the container does not start"},
	{name: "CONFIG_CGROUP_BPF",
		why:          "on a cgroup v2 (unified) host LXC enforces the device allow-list with a BPF program; without it the device list cannot be enforced there",
		requiredWhen: never},
	{name: "CONFIG_CGROUP_SCHED",
		why:          "cpu controller: CPU shares and quotas (lxc.cgroup.cpu.*); without it those limits cannot be set",
		requiredWhen: never},
	{name: "CONFIG_CGROUP_CPUACCT",
		why:          "cpuacct controller: CPU usage figures (lxc-info, container monitoring); without it no CPU usage is reported",
		requiredWhen: never},
	{name: "CONFIG_CPUSETS",
		why:          "cpuset controller: pins the container to CPUs and memory nodes (lxc.cgroup.cpuset.*); without it those settings fail",
		requiredWhen: never},
	{name: "CONFIG_MEMCG",
		why:          "memory controller: memory limits and usage figures (lxc.cgroup.memory.*); without it those settings fail and no memory usage is reported",
		oldName:      "CONFIG_CGROUP_MEM_RES_CTLR",
		renamedIn:    KernelVersion{3, 6, 0},
		requiredWhen: never},
	{name: "CONFIG_CGROUP_FREEZER",
		why:          "freezer controller: lxc-freeze/lxc-unfreeze (pausing a container); without it pausing fails, start and stop still work",
		requiredWhen: never},
	{name: "CONFIG_CGROUP_PIDS",
		why:          "pids controller: caps the number of processes (lxc.cgroup.pids.max) against fork bombs; without it that limit cannot be set",
		requiredWhen: never},
	{name: "CONFIG_VETH",
		why:          "the veth pair joining the container to the host; without it lxc-start fails to create the network",
		requiredWhen: netIs("veth"),
		when:         "needed when the network is veth"},
	{name: "CONFIG_BRIDGE",
		why:          "the host bridge the veth end joins (lxc.net.0.link, e.g. lxcbr0); without it the container cannot reach anything",
		requiredWhen: netIs("veth"),
		when:         "needed when the network is veth"},
	{name: "CONFIG_MACVLAN",
		why:          "a macvlan interface on a host NIC; without it lxc-start fails to create the network",
		requiredWhen: netIs("macvlan"),
		when:         "needed when the network is macvlan"},
	{name: "CONFIG_VLAN_8021Q",
		why:          "an 802.1Q VLAN interface on a host NIC; without it lxc-start fails to create the network",
		requiredWhen: netIs("vlan"),
		when:         "needed when the network is vlan"},
	{name: "CONFIG_POSIX_MQUEUE",
		why:          "POSIX message queues (mq_open) inside the container, isolated by the IPC namespace; LXC itself does not use them",
		requiredWhen: never},
	{name: "CONFIG_SECCOMP",
		why:          "seccomp support; without it LXC silently skips lxc.seccomp.profile and the container runs without its syscall filter",
		requiredWhen: func(n KernelNeeds) bool { return n.Seccomp },
		when:         "needed when lxc.seccomp.profile stays active in common.conf (seccomp mode keep, or auto with a liblxc built with libseccomp)"},
	{name: "CONFIG_SECCOMP_FILTER",
		why:          "seccomp BPF filters, what lxc.seccomp.profile is compiled to; with SECCOMP but without it loading the profile fails and the container does not start",
		requiredWhen: func(n KernelNeeds) bool { return n.Seccomp },
		when:         "needed when lxc.seccomp.profile stays active in common.conf (seccomp mode keep, or auto with a liblxc built with libseccomp)"},
	{name: "CONFIG_SECURITY_FILE_CAPABILITIES",
		why:           "file capabilities and the per-process capability bounding set that lxc.cap.drop shrinks; without it the container root keeps every capability LXC means to drop",
		alwaysOnSince: KernelVersion{2, 6, 33}},
}
