package lxc

import (
	"fmt"
	"regexp"
	"strings"
)

// Container config keys LXC 4 and 5 accept, from lxc.container.conf(5)
// (LXC 5.0) and checked one by one with lxc-info against liblxc 5.0.2.
// lxc.console.buffer.logfile is left out although the man page names it:
// liblxc 5.0.2 refuses it.
var validKeys = setOf(
	"lxc.include", "lxc.arch",
	"lxc.uts.name",
	"lxc.signal.halt", "lxc.signal.reboot", "lxc.signal.stop",
	"lxc.execute.cmd",
	"lxc.init.cmd", "lxc.init.cwd", "lxc.init.uid", "lxc.init.gid", "lxc.init.groups",
	"lxc.sched.core", "lxc.ephemeral",
	"lxc.net",
	"lxc.pty.max",
	"lxc.console.buffer.size", "lxc.console.size", "lxc.console.logfile", "lxc.console.rotate", "lxc.console.path",
	"lxc.tty.max", "lxc.tty.dir",
	"lxc.autodev", "lxc.autodev.tmpfs.size",
	"lxc.mount.fstab", "lxc.mount.entry", "lxc.mount.auto",
	"lxc.rootfs.path", "lxc.rootfs.mount", "lxc.rootfs.options", "lxc.rootfs.managed",
	"lxc.cgroup", "lxc.cgroup2",
	"lxc.cap.drop", "lxc.cap.keep",
	"lxc.namespace.clone", "lxc.namespace.keep",
	"lxc.time.offset.boot", "lxc.time.offset.monotonic",
	"lxc.prlimit", "lxc.proc", "lxc.sysctl",
	"lxc.apparmor.profile", "lxc.apparmor.allow_incomplete", "lxc.apparmor.allow_nesting", "lxc.apparmor.raw",
	"lxc.selinux.context", "lxc.selinux.context.keyring",
	"lxc.keyring.session",
	"lxc.seccomp.profile", "lxc.seccomp.allow_nesting", "lxc.seccomp.notify.proxy", "lxc.seccomp.notify.cookie",
	"lxc.no_new_privs",
	"lxc.idmap",
	"lxc.hook", "lxc.hook.version",
	"lxc.hook.pre-start", "lxc.hook.pre-mount", "lxc.hook.mount", "lxc.hook.autodev", "lxc.hook.start-host",
	"lxc.hook.start", "lxc.hook.stop", "lxc.hook.post-stop", "lxc.hook.clone", "lxc.hook.destroy",
	"lxc.log.level", "lxc.log.file", "lxc.log.syslog",
	"lxc.start.auto", "lxc.start.delay", "lxc.start.order",
	"lxc.monitor.unshare", "lxc.monitor.signal.pdeath",
	"lxc.group",
	"lxc.environment",
)

// validPrefixes take any sub-key: cgroup controller files, resource limits,
// /proc files, sysctls and namespaces shared with another process.
var validPrefixes = []string{
	"lxc.cgroup.", "lxc.cgroup2.", "lxc.prlimit.", "lxc.proc.", "lxc.sysctl.", "lxc.namespace.share.",
}

// netSubkeys are what may follow lxc.net.<i>. (lxc.container.conf(5),
// NETWORK; liblxc 5.0.2 refuses any other).
var netSubkeys = setOf(
	"type", "flags", "link", "l2proxy", "mtu", "name", "hwaddr",
	"ipv4.address", "ipv4.gateway", "ipv6.address", "ipv6.gateway",
	"script.up", "script.down",
	"veth.mode", "veth.pair", "veth.ipv4.route", "veth.ipv6.route",
	"veth.vlan.id", "veth.vlan.tagged.id", "veth.n_rxqueues", "veth.n_txqueues",
	"vlan.id", "macvlan.mode", "ipvlan.mode", "ipvlan.isolation",
)

// legacyKeys are the pre-2.1 names LXC 3.0 removed, with their
// replacement: the renames lxc-update-config(1) applies (shipped with LXC
// since 2.1, https://linuxcontainers.org/lxc/manpages/man1/lxc-update-config.1.html,
// script /usr/bin/lxc-update-config of Debian's lxc 5.0.2), each checked to
// be refused by liblxc 5.0.2. An empty replacement means the key is gone
// and the line is to be deleted.
var legacyKeys = map[string]string{
	"lxc.id_map":              "lxc.idmap",
	"lxc.pts":                 "lxc.pty.max",
	"lxc.tty":                 "lxc.tty.max",
	"lxc.devttydir":           "lxc.tty.dir",
	"lxc.aa_profile":          "lxc.apparmor.profile",
	"lxc.aa_allow_incomplete": "lxc.apparmor.allow_incomplete",
	"lxc.se_context":          "lxc.selinux.context",
	"lxc.mount":               "lxc.mount.fstab",
	"lxc.utsname":             "lxc.uts.name",
	"lxc.seccomp":             "lxc.seccomp.profile",
	"lxc.console":             "lxc.console.path",
	"lxc.haltsignal":          "lxc.signal.halt",
	"lxc.rebootsignal":        "lxc.signal.reboot",
	"lxc.stopsignal":          "lxc.signal.stop",
	"lxc.syslog":              "lxc.log.syslog",
	"lxc.loglevel":            "lxc.log.level",
	"lxc.logfile":             "lxc.log.file",
	"lxc.init_cmd":            "lxc.init.cmd",
	"lxc.init_uid":            "lxc.init.uid",
	"lxc.init_gid":            "lxc.init.gid",
	"lxc.rootfs":              "lxc.rootfs.path",
	"lxc.rootfs.backend":      "",
	"lxc.pivotdir":            "",
	"lxc.kmsg":                "",
}

var (
	netIndexed = regexp.MustCompile(`^lxc\.net\.([0-9]+)(?:\.(.+))?$`)
	// lxc.network.type (one unnumbered network per lxc.network.type line)
	// and lxc.network.<i>.type both became lxc.net.<i>.type.
	legacyNet = regexp.MustCompile(`^lxc\.network(?:\.([0-9]+))?(?:\.(.+))?$`)
)

// checkKey tells whether LXC 4/5 would refuse the key of l, and why.
func checkKey(l ConfigLine) (ConfigProblem, bool) {
	key := l.Key
	refuse := func(fix, format string, args ...any) (ConfigProblem, bool) {
		return ConfigProblem{Kind: ProblemKey, File: l.File, Message: fmt.Sprintf(format, args...), Fix: fix}, true
	}
	if validKeys[key] || hasAnyPrefix(key, validPrefixes) {
		return ConfigProblem{}, false
	}
	if m := netIndexed.FindStringSubmatch(key); m != nil {
		if m[2] == "" || netSubkeys[m[2]] {
			return ConfigProblem{}, false
		}
		return refuse(fmt.Sprintf("use a network key of lxc.container.conf(5): lxc.net.%s.type, .link, .flags, .name, .hwaddr, .ipv4.address, …", m[1]),
			"%s: unknown key %s: LXC refuses the whole config", l.Where(), key)
	}
	if modern, ok := legacyKeys[key]; ok {
		fix := fmt.Sprintf("rename it to %s (lxc-update-config -c FILE does it)", modern)
		switch {
		case modern == "":
			fix = "delete the line: the setting no longer exists"
		case key == "lxc.rootfs":
			fix = fmt.Sprintf("write lxc.rootfs.path = dir:%s", l.Value)
		}
		return refuse(fix, "%s: legacy key %s, removed in LXC 3.0: LXC refuses the whole config", l.Where(), key)
	}
	if m := legacyNet.FindStringSubmatch(key); m != nil {
		index, sub := m[1], m[2]
		if index == "" {
			index = "0"
		}
		modern := "lxc.net." + index
		if sub != "" {
			modern += "." + sub
		}
		return refuse(fmt.Sprintf("rename it to %s, numbering each network from 0 (lxc-update-config -c FILE does it)", modern),
			"%s: legacy key %s, removed in LXC 3.0: LXC refuses the whole config", l.Where(), key)
	}
	if sub, ok := strings.CutPrefix(key, "lxc.limit."); ok {
		return refuse("rename it to lxc.prlimit."+sub,
			"%s: legacy key %s, removed in LXC 3.0: LXC refuses the whole config", l.Where(), key)
	}
	return refuse("fix the spelling or delete the line (keys: lxc.container.conf(5))",
		"%s: unknown key %s: LXC refuses the whole config", l.Where(), key)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
