package verify

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
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
}

// keyFindings returns the findings readConfig and parseIDMap give for a
// config of the one line.
func keyFindings(t *testing.T, line string) findings {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("lxc.uts.name = c\n"+line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var fs findings
	cfg, err := readConfig(root, "/config", &fs)
	if err != nil {
		t.Fatal(err)
	}
	parseIDMap(cfg, &fs)
	return fs
}

func TestConfigKeys(t *testing.T) {
	for _, c := range configLines {
		fs := keyFindings(t, c.line)
		if got := len(fs) > 0; got != c.refused {
			t.Errorf("%q: findings %v, want refused=%v", c.line, fs, c.refused)
		}
		for _, f := range fs {
			if f.Severity != SeverityError || f.File != "/config" || f.Fix == "" {
				t.Errorf("%q: finding %+v: want an error on /config with a fix", c.line, f)
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
		fs := keyFindings(t, line)
		if len(fs) != 1 || !strings.Contains(fs[0].Fix, want) {
			t.Errorf("%q: findings %v, want one whose fix names %s", line, fs, want)
		}
	}
}

// TestConfigKeysAgainstLibLXC asks the build host's liblxc (Debian's lxc
// 5.0) whether it loads each config: lxc-info fails when the config does
// not parse.
func TestConfigKeysAgainstLibLXC(t *testing.T) {
	lxcInfo := treetest.NeedTool(t, "lxc-info", "lxc")
	lxcpath := t.TempDir()
	if err := os.Mkdir(filepath.Join(lxcpath, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range configLines {
		if err := os.WriteFile(filepath.Join(lxcpath, "c", "config"), []byte("lxc.uts.name = c\n"+c.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(lxcInfo, "-P", lxcpath, "-n", "c", "-c", "lxc.uts.name").CombinedOutput()
		if refused := err != nil; refused != c.refused {
			t.Errorf("liblxc on %q: refused=%v, table says %v (%s)", c.line, refused, c.refused, out)
		}
	}
}
