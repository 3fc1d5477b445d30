package lxc

import (
	"strings"
	"testing"
)

// configLines are single config lines; refused says whether LXC 4/5 refuses
// a config holding it. The same table is asked of the build host's liblxc
// below, so the list of keys cannot drift from what LXC really does.
var configLines = []struct {
	line    string
	refused bool
}{
	{"lxc.idmap = u 0 100000 65536", false},
	{"lxc.id_map = u 0 100000 65536", true},
	{"lxc.network.type = veth", true},
	{"lxc.network.0.link = br0", true},
	{"lxc.net.0.type = veth", false},
	{"lxc.net.1.ipv4.address = 10.0.0.2/24", false},
	{"lxc.net.0.bogus = 1", true},
	{"lxc.net =", false},
	{"lxc.rootfs = /var/lib/lxc/c/rootfs", true},
	{"lxc.rootfs.path = dir:/var/lib/lxc/c/rootfs", false},
	{"lxc.rootfs.backend = dir", true},
	{"lxc.utsname = c", true},
	{"lxc.uts.name = c", false},
	{"lxc.aa_profile = unconfined", true},
	{"lxc.apparmor.profile = unconfined", false},
	{"lxc.tty = 4", true},
	{"lxc.tty.max = 4", false},
	{"lxc.pts = 1024", true},
	{"lxc.pty.max = 1024", false},
	{"lxc.mount = /etc/fstab.c", true},
	{"lxc.mount.fstab = /etc/fstab.c", false},
	{"lxc.mount.entry = /tmp tmp none bind,create=dir 0 0", false},
	{"lxc.seccomp = /x", true},
	{"lxc.seccomp.profile = /x", false},
	{"lxc.init_cmd = /sbin/init", true},
	{"lxc.init.cmd = /sbin/init", false},
	{"lxc.loglevel = 1", true},
	{"lxc.log.level = 1", false},
	{"lxc.logfile = /x", true},
	{"lxc.devttydir = lxc", true},
	{"lxc.console = none", true},
	{"lxc.console.path = none", false},
	{"lxc.haltsignal = 9", true},
	{"lxc.kmsg = 0", true},
	{"lxc.pivotdir = x", true},
	{"lxc.limit.nofile = 1024", true},
	{"lxc.prlimit.nofile = 1024", false},
	{"lxc.cgroup.devices.allow = a", false},
	{"lxc.cgroup2.memory.high = 1", false},
	{"lxc.sysctl.net.ipv4.ip_forward = 1", false},
	{"lxc.proc.oom_score_adj = 10", false},
	{"lxc.hook.start-host = /x", false},
	{"lxc.hook.bogus = /x", true},
	{"lxc.environment = PATH", false},
	{"lxc.arch = linux64", false},
	{"lxc.arch linux64", true},
	{"lxc.rootfs.pth = /x", true},
	{"lxc.console.buffer.logfile = /x", true},
	{"not.lxc = ignored", false},
	{"# lxc.id_map = commented", false},
	{"lxc.idmap = b 0 100000 65536", true},
	{"lxc.idmap = u 0 100000", true},
	{"lxc.idmap = u 0 -1 65536", true},
	{"lxc.idmap =", false},
}

// problems returns the problems ReadConfig finds in a config of the one line.
func problems(t *testing.T, line string) []ConfigProblem {
	t.Helper()
	return readTree(t, map[string]string{"/config": "lxc.uts.name = c\n" + line + "\n"}).Problems
}

func TestConfigKeys(t *testing.T) {
	for _, c := range configLines {
		ps := problems(t, c.line)
		if got := len(ps) > 0; got != c.refused {
			t.Errorf("%q: problems %v, want refused=%v", c.line, ps, c.refused)
		}
		for _, p := range ps {
			if p.File != "/config" || p.Fix == "" || (p.Kind != ProblemKey && p.Kind != ProblemSyntax) {
				t.Errorf("%q: problem %+v: want a key or syntax problem on /config with a fix", c.line, p)
			}
		}
	}
}

func TestLegacyKeyFixNamesModernKey(t *testing.T) {
	for line, want := range map[string]string{
		"lxc.id_map = u 0 1 1":    "lxc.idmap",
		"lxc.network.type = veth": "lxc.net.0.type",
		"lxc.network.2.link = br": "lxc.net.2.link",
		"lxc.rootfs = /r":         "lxc.rootfs.path = dir:/r",
		"lxc.utsname = c":         "lxc.uts.name",
		"lxc.tty = 1":             "lxc.tty.max",
		"lxc.pts = 1":             "lxc.pty.max",
		"lxc.mount = /f":          "lxc.mount.fstab",
		"lxc.seccomp = /s":        "lxc.seccomp.profile",
		"lxc.limit.nofile = 1":    "lxc.prlimit.nofile",
	} {
		ps := problems(t, line)
		if len(ps) != 1 || ps[0].Kind != ProblemKey || !strings.Contains(ps[0].Fix, want) {
			t.Errorf("%q: problems %v, want one key problem whose fix names %s", line, ps, want)
		}
	}
}

// TestConfigKeysAgainstLibLXC asks the build host's liblxc (Debian's lxc
// 5.0) whether it loads each config.
func TestConfigKeysAgainstLibLXC(t *testing.T) {
	lib := newLibLXC(t)
	for _, c := range configLines {
		if _, loaded, out := lib.load(c.line, "lxc.uts.name"); !loaded != c.refused {
			t.Errorf("liblxc on %q: refused=%v, table says %v (%s)", c.line, !loaded, c.refused, out)
		}
	}
}
