package verify_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// Device paths of the sample target's OCDM container.
const (
	containerDir = "/usr/share/Thunder/OCDM/Container"
	configFile   = containerDir + "/config"
	rootfsDir    = containerDir + "/rootfs"
	pluginFile   = "/etc/Thunder/plugins/OCDM.json"
)

// The build host's liblxc (Debian's, linked with libseccomp) and a shared
// library that needs only libc, to stand in for a liblxc built without it.
const (
	hostLibLXC = "/usr/lib/x86_64-linux-gnu/liblxc.so.1"
	hostLibZ   = "/usr/lib/x86_64-linux-gnu/libz.so.1"
	targetLib  = "usr/lib/liblxc.so.1"
)

// provisioned returns a sample target with OCDM provisioned by the tool
// from a busybox rootfs that has an executable /usr/bin/ThunderPlugin, and
// the build host's liblxc in the target's /usr/lib.
func provisioned(t *testing.T, idmap bool) string {
	t.Helper()
	return provisionedWith(t, provision.Request{NoIDMap: !idmap})
}

// provisionedWith is provisioned with more of the request given (shares,
// kept IDs); Callsigns, Target and Source are filled in.
func provisionedWith(t *testing.T, req provision.Request) string {
	t.Helper()
	idmap := !req.NoIDMap
	treetest.NeedRoot(t)
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
	target := treetest.SampleTarget(t)
	copyLib(t, hostLibLXC, filepath.Join(target, targetLib))
	req.Callsigns, req.Target, req.Source = []string{"OCDM"}, target, src
	plan, err := provision.BuildPlan(context.Background(), req)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if _, err := provision.Apply(context.Background(), plan); err != nil {
		t.Fatalf("apply: %v", err)
	}
	// With an ID map the rootfs is shifted by default; without one it
	// keeps the source's owner, root.
	want := 0
	if idmap {
		want = lxc.DefaultIDMapBase
	}
	if got := owner(t, filepath.Join(target, rootfsDir)); got != want {
		t.Fatalf("provisioned rootfs owned by %d, want %d (ID map: %v)", got, want, idmap)
	}
	return target
}

// copyLib copies a library's real file (symlinks followed) to dst.
func copyLib(t *testing.T, hostPath, dst string) {
	t.Helper()
	data, err := os.ReadFile(hostPath)
	if err != nil {
		t.Skipf("needs %s (apt-get install lxc zlib1g): %v", hostPath, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func owner(t *testing.T, name string) int {
	t.Helper()
	info, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.Sys().(*syscall.Stat_t).Uid)
}

func run(t *testing.T, opts verify.Options) *verify.Report {
	t.Helper()
	r, err := verify.Run(opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func assertClean(t *testing.T, r *verify.Report) {
	t.Helper()
	if !r.OK || len(r.Containers) != 1 || r.Containers[0].Callsign != "OCDM" || r.Containers[0].Dir != containerDir {
		t.Fatalf("report %+v: want OCDM in %s, ok", r, containerDir)
	}
	if f := r.Containers[0].Findings; len(f) != 0 {
		t.Fatalf("findings on a freshly provisioned target: %v", f)
	}
}

func TestProvisionedTargetIsClean(t *testing.T) {
	for _, idmap := range []bool{false, true} {
		t.Run(fmt.Sprintf("idmap=%v", idmap), func(t *testing.T) {
			target := provisioned(t, idmap)
			assertClean(t, run(t, verify.Options{Target: target}))
			assertClean(t, run(t, verify.Options{Target: target, Callsigns: []string{"OCDM"}, KernelConfig: kernelConfig(t, "")}))
		})
	}
}

// kernelConfig writes a kernel .config with every option lxc.CheckKernel
// knows enabled, except the one named, and returns its path.
func kernelConfig(t *testing.T, without string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Linux/x86 6.1.0 Kernel Configuration\n")
	probe, err := lxc.ParseKernelConfig(strings.NewReader("# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_X=y\n"), "probe")
	if err != nil {
		t.Fatal(err)
	}
	all := lxc.KernelNeeds{IDMap: true, Network: "veth", Seccomp: true}
	for _, f := range lxc.CheckKernel(probe, all) {
		if f.Name == without {
			fmt.Fprintf(&b, "# %s is not set\n", f.Name)
			continue
		}
		fmt.Fprintf(&b, "%s=y\n", f.Name)
	}
	p := filepath.Join(t.TempDir(), "kernel.config")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// edit rewrites a target file through fn.
func edit(t *testing.T, target, name string, fn func(string) string) {
	t.Helper()
	p := filepath.Join(target, name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := fn(string(data))
	if out == string(data) {
		t.Fatalf("edit of %s changed nothing", name)
	}
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// write writes a test's input file, failing the test when it cannot.
func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendLine(line string) func(string) string {
	return func(s string) string { return s + line + "\n" }
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func remove(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(target, name)); err != nil {
		t.Fatal(err)
	}
}

// breakage is one way to break a provisioned target, and the one finding
// verify must give for it.
type breakage struct {
	idmap     bool
	callsigns []string
	kernel    string // option the kernel config lacks; "" for no kernel config
	brk       func(t *testing.T, target string)
	check     string
	file      string
	inMessage string
}

var breakages = map[string]breakage{
	"config deleted": {
		brk:   func(t *testing.T, target string) { remove(t, target, configFile) },
		check: verify.CheckLocation, file: configFile, inMessage: "has no config file",
	},
	"legacy lxc.id_map": {
		idmap: true,
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, appendLine("lxc.id_map = u 0 100000 65536"))
		},
		check: verify.CheckKey, file: configFile, inMessage: "legacy key lxc.id_map",
	},
	"unknown key": {
		brk:   func(t *testing.T, target string) { edit(t, target, configFile, appendLine("lxc.start.atuo = 1")) },
		check: verify.CheckKey, file: configFile, inMessage: "unknown key lxc.start.atuo",
	},
	"rootfs elsewhere": {
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("dir:"+rootfsDir, "dir:/usr/share/Thunder/OCDM/rootfs"))
		},
		check: verify.CheckRootfs, file: configFile, inMessage: "/usr/share/Thunder/OCDM/rootfs is not in the target",
	},
	"include missing": {
		idmap: true,
		brk:   func(t *testing.T, target string) { remove(t, target, lxc.UsernsConfPath) },
		check: verify.CheckInclude, file: configFile, inMessage: lxc.UsernsConfPath,
	},
	"seccomp without libseccomp": {
		brk: func(t *testing.T, target string) {
			copyLib(t, hostLibZ, filepath.Join(target, targetLib))
			edit(t, target, configFile, appendLine("lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp"))
		},
		check: verify.CheckSeccomp, file: configFile, inMessage: "built without libseccomp",
	},
	"seccomp in included common.conf without libseccomp": {
		brk: func(t *testing.T, target string) {
			copyLib(t, hostLibZ, filepath.Join(target, targetLib))
			edit(t, target, lxc.CommonConfPath, replace("# lxc.seccomp.profile", "lxc.seccomp.profile"))
		},
		check: verify.CheckSeccomp, file: lxc.CommonConfPath, inMessage: "built without libseccomp",
	},
	"ThunderPlugin missing": {
		brk:   func(t *testing.T, target string) { remove(t, target, rootfsDir+"/usr/bin/ThunderPlugin") },
		check: verify.CheckHostProcess, file: rootfsDir + "/usr/bin/ThunderPlugin", inMessage: "ThunderPlugin is not on the container's PATH",
	},
	"ThunderPlugin not executable": {
		brk: func(t *testing.T, target string) {
			if err := os.Chmod(filepath.Join(target, rootfsDir, "usr/bin/ThunderPlugin"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		check: verify.CheckHostProcess, file: rootfsDir + "/usr/bin/ThunderPlugin", inMessage: "not executable",
	},
	"ThunderPlugin off an explicit PATH": {
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("lxc.environment = PATH\n", "lxc.environment = PATH=/bin:/sbin\n"))
		},
		check: verify.CheckHostProcess, file: rootfsDir + "/usr/bin/ThunderPlugin", inMessage: "PATH=/bin:/sbin",
	},
	"no /tmp mount": {
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\n", ""))
		},
		check: verify.CheckVolatileMount, file: configFile, inMessage: "no lxc.mount.entry bind-mounts /tmp",
	},
	// Measured with liblxc 5.0.2: an absolute mount point outside the
	// rootfs is ignored, so "/tmp /tmp" mounts nothing.
	"/tmp mounted onto an absolute /tmp": {
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("lxc.mount.entry = /tmp tmp none", "lxc.mount.entry = /tmp /tmp none"))
		},
		check: verify.CheckVolatileMount, file: configFile, inMessage: "an absolute path outside the rootfs, which LXC ignores",
	},
	"linux32 on a 64-bit rootfs": {
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("lxc.arch = linux64", "lxc.arch = linux32"))
		},
		check: verify.CheckArch, file: configFile, inMessage: "is 32-bit but the rootfs",
	},
	"rootfs owned by host root with an idmap": {
		idmap: true,
		brk: func(t *testing.T, target string) {
			treetest.Run(t, "chown", "-R", "-h", "0:0", filepath.Join(target, rootfsDir))
		},
		check: verify.CheckOwner, file: rootfsDir, inMessage: "container root sees these files as nobody",
	},
	"plugin mode Local": {
		callsigns: []string{"OCDM"},
		brk: func(t *testing.T, target string) {
			edit(t, target, pluginFile, replace(`"mode": "Container"`, `"mode": "Local"`))
		},
		check: verify.CheckMode, file: pluginFile, inMessage: "mode is Local",
	},
	"newuidmap without subuid grants": {
		idmap: true,
		brk: func(t *testing.T, target string) {
			copyLib(t, "/usr/bin/newuidmap", filepath.Join(target, "usr/bin/newuidmap"))
		},
		check: verify.CheckSubID, file: "/etc/subuid", inMessage: "newuidmap",
	},
	"kernel without USER_NS": {
		idmap:  true,
		kernel: "CONFIG_USER_NS",
		brk:    func(t *testing.T, target string) {},
		check:  verify.CheckKernel, inMessage: "CONFIG_USER_NS",
	},
	"veth while the kernel lacks VETH": {
		kernel: "CONFIG_VETH",
		brk: func(t *testing.T, target string) {
			edit(t, target, configFile, replace("lxc.net.0.type = empty\n", "lxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\n"))
		},
		check: verify.CheckKernel, inMessage: "CONFIG_VETH",
	},
	"active seccomp while the kernel lacks SECCOMP_FILTER": {
		kernel: "CONFIG_SECCOMP_FILTER",
		brk: func(t *testing.T, target string) {
			edit(t, target, lxc.CommonConfPath, replace("# lxc.seccomp.profile", "lxc.seccomp.profile"))
		},
		check: verify.CheckKernel, inMessage: "CONFIG_SECCOMP_FILTER",
	},
	"legacy key in an included file": {
		brk: func(t *testing.T, target string) {
			edit(t, target, lxc.CommonConfPath, appendLine("lxc.aa_profile = unconfined"))
		},
		check: verify.CheckKey, file: lxc.CommonConfPath, inMessage: "legacy key lxc.aa_profile",
	},
	"unknown key in an included folder": {
		brk: func(t *testing.T, target string) {
			dir := filepath.Join(target, "usr/share/lxc/config/common.conf.d")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			// Only *.conf files of the folder are read.
			write(t, filepath.Join(dir, "README"), "lxc.bogus = 1\n")
			write(t, filepath.Join(dir, "10-thunder.conf"), "lxc.cap.dropp = sys_time\n")
		},
		check: verify.CheckKey, file: "/usr/share/lxc/config/common.conf.d/10-thunder.conf", inMessage: "unknown key lxc.cap.dropp",
	},
}

func TestEachBreakageIsTheOneFinding(t *testing.T) {
	for name, b := range breakages {
		t.Run(name, func(t *testing.T) {
			target := provisioned(t, b.idmap)
			b.brk(t, target)
			opts := verify.Options{Target: target, Callsigns: b.callsigns}
			file := b.file
			if b.kernel != "" {
				opts.KernelConfig = kernelConfig(t, b.kernel)
				file = opts.KernelConfig
			}
			r := run(t, opts)
			if r.OK || len(r.Containers) != 1 {
				t.Fatalf("report %+v: want one container, not ok", r)
			}
			fs := r.Containers[0].Findings
			if len(fs) != 1 {
				t.Fatalf("want exactly one finding, got %d:\n%s", len(fs), list(fs))
			}
			f := fs[0]
			if f.Severity != verify.SeverityError || f.Check != b.check || f.File != file || !strings.Contains(f.Message, b.inMessage) || f.Fix == "" {
				t.Errorf("finding %s\nwant error %s on %s mentioning %q, with a fix", f, b.check, file, b.inMessage)
			}
		})
	}
}

func list(fs []verify.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// Notes say something worth knowing that does not stop the container.
func TestNotesDoNotFail(t *testing.T) {
	cases := map[string]struct {
		brk   func(t *testing.T, target string)
		check string
		file  string
	}{
		"inherited variable": {
			brk: func(t *testing.T, target string) {
				edit(t, target, configFile, appendLine("lxc.environment = LOG_LEVEL"))
			},
			check: verify.CheckEnvironment, file: configFile,
		},
		"no liblxc in the target": {
			brk:   func(t *testing.T, target string) { remove(t, target, targetLib) },
			check: verify.CheckLibLXC, file: "/usr/lib/liblxc.so.1",
		},
		"container shadowed by one in the persistent path": {
			brk: func(t *testing.T, target string) {
				dir := filepath.Join(target, "root/Thunder/OCDM/Container")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				treetest.Run(t, "cp", filepath.Join(target, configFile), dir)
			},
			check: verify.CheckLocation, file: configFile,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			target := provisioned(t, true)
			c.brk(t, target)
			r := run(t, verify.Options{Target: target})
			if !r.OK || len(r.Containers) != 1 {
				t.Fatalf("report %+v: want one container, ok", r)
			}
			fs := r.Containers[0].Findings
			if len(fs) != 1 || fs[0].Severity != verify.SeverityNote || fs[0].Check != c.check || fs[0].File != c.file {
				t.Fatalf("want one note %s on %s, got:\n%s", c.check, c.file, list(fs))
			}
		})
	}
}

func TestShadowingContainerIsTheOneUsed(t *testing.T) {
	target := provisioned(t, false)
	dir := filepath.Join(target, "root/Thunder/OCDM/Container")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The persistent path's container wins, and its broken config is the one reported.
	write(t, filepath.Join(dir, "config"), "lxc.utsname = OCDM\n")
	r := run(t, verify.Options{Target: target})
	c := r.Containers[0]
	if r.OK || c.Dir != "/root/Thunder/OCDM/Container" {
		t.Fatalf("report %+v: want the persistent path's container, failing", r)
	}
	var keys int
	for _, f := range c.Findings {
		if f.Check == verify.CheckKey && f.File == "/root/Thunder/OCDM/Container/config" {
			keys++
		}
	}
	if keys != 1 {
		t.Errorf("want the legacy key of the used config reported once:\n%s", list(c.Findings))
	}
}

func TestGrantedSubIDsAreClean(t *testing.T) {
	target := provisioned(t, true)
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		copyLib(t, "/usr/bin/"+tool, filepath.Join(target, "usr/bin", tool))
	}
	for _, f := range []string{"etc/subuid", "etc/subgid"} {
		write(t, filepath.Join(target, f), "root:100000:65536\n")
	}
	assertClean(t, run(t, verify.Options{Target: target}))
	write(t, filepath.Join(target, "etc/subgid"), "root:100000:1000\n")
	r := run(t, verify.Options{Target: target})
	fs := r.Containers[0].Findings
	if r.OK || len(fs) != 1 || fs[0].File != "/etc/subgid" || !strings.Contains(fs[0].Fix, "root:101000:64536") {
		t.Fatalf("want the missing subgid range as the fix:\n%s", list(fs))
	}
}

func TestNoContainerizedPlugin(t *testing.T) {
	target := treetest.SampleTarget(t)
	r := run(t, verify.Options{Target: target})
	if !r.OK || len(r.Containers) != 0 {
		t.Fatalf("report %+v: want ok and no containers (OCDM is Local)", r)
	}
	r = run(t, verify.Options{Target: target, Callsigns: []string{"OCDM", "Nope"}})
	if r.OK || len(r.Containers) != 2 {
		t.Fatalf("report %+v: want both named plugins, failing", r)
	}
	checks := map[string][]string{}
	for _, c := range r.Containers {
		for _, f := range c.Findings {
			checks[c.Callsign] = append(checks[c.Callsign], f.Check)
		}
	}
	if strings.Join(checks["OCDM"], ",") != "mode,location" || strings.Join(checks["Nope"], ",") != "plugin" {
		t.Errorf("checks %v: want OCDM mode,location and Nope plugin", checks)
	}
}
