package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxcrun"
)

// runFixture provisions OCDM into the sample target from a busybox rootfs
// (of the given busybox program; "" for the build host's) with the sample
// hosting process, with the extra provision arguments, and returns the
// target and provision's report.
func runFixture(t *testing.T, busybox string, provisionArgs ...string) (string, provision.Report) {
	t.Helper()
	lxctest.NeedLXC(t)
	if busybox == "" {
		busybox = treetest.NeedTool(t, "busybox", "busybox-static")
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfsWith(t, rootfs, busybox)
	treetest.Run(t, "cp", "-a", filepath.Join(treetest.RepoRoot(t), "testdata/sample-hosting")+"/.", rootfs)
	target := treetest.SampleTarget(t)
	return target, provisionJSON(t, append([]string{"OCDM", "--target", target, "--rootfs", rootfs}, provisionArgs...)...)
}

// runReport runs `run --json` and decodes its report.
func runReport(t *testing.T, args ...string) (r lxcrun.Report, stderr string, code int) {
	t.Helper()
	out, errOut, code := run(t, append([]string{"run", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("run --json output is not JSON (%v): %q, stderr %q", err, out, errOut)
	}
	return r, errOut, code
}

// hostState is what a run must leave as it found it: the mount table,
// root's sub-ID grants, LXC's run folder, and the run-time folders'
// markers in the build host's /tmp.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, f := range []string{"/proc/self/mountinfo", "/etc/subuid", "/etc/subgid"} {
		data, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		b.WriteString("== " + f + "\n" + string(data))
	}
	for _, pattern := range []string{"/run/lxc/lock/usr/share/Thunder/*", "/tmp/.thunder-lxc-run-*", "/usr/share/Thunder", testShare} {
		found, _ := filepath.Glob(pattern)
		b.WriteString("== " + pattern + "\n" + strings.Join(found, "\n"))
	}
	return b.String()
}

// assertUnchanged fails when the build host or the target differ from
// what they were.
func assertUnchanged(t *testing.T, host, target, targetTree string) {
	t.Helper()
	if got := hostState(t); got != host {
		t.Errorf("run changed the build host:\nbefore:\n%s\nafter:\n%s", host, got)
	}
	if got := treetest.Mtree(t, target); got != targetTree {
		t.Errorf("run changed the target")
	}
}

func checkNames(r lxcrun.Report) []string {
	var names []string
	for _, c := range r.Checks {
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
}

// The smoke test passes on the provisioned fixtures, each share check
// agrees with provision's own prediction, and neither the host nor the
// target is changed.
func TestRunSmokeTest(t *testing.T) {
	for _, c := range []struct {
		name       string
		provision  []string
		shareUsers int // share checks: one per class of container user
	}{
		{"default ID map", nil, 0},
		{"no ID map", []string{"--no-idmap"}, 0},
		{"kept ID 1000 and a share", []string{"--keep-id", "1000", "--share", testShare + ":TestLogging"}, 4},
		{"no ID map and a share", []string{"--no-idmap", "--share", testShare + ":TestLogging"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, prov := runFixture(t, "", c.provision...)
			host, tree := hostState(t), treetest.Mtree(t, target)
			r, stderr, code := runReport(t, "OCDM", "--target", target)
			if code != 0 || !r.OK || !r.Started {
				t.Fatalf("run: exit %d, ok %v, started %v: %s\n%+v", code, r.OK, r.Started, stderr, r.Checks)
			}
			want := []string{lxcrun.CheckStart, lxcrun.CheckHostProcess, lxcrun.CheckRootfs, lxcrun.CheckVolatile, lxcrun.CheckCommunicator}
			if c.shareUsers > 0 {
				want = append(want, lxcrun.CheckShare)
			}
			if got := checkNames(r); !slices.Equal(got, want) {
				t.Errorf("checks %q, want %q", got, want)
			}
			var shares []lxcrun.ShareProbe
			for _, ch := range r.Checks {
				if ch.Share != nil {
					shares = append(shares, *ch.Share)
				}
			}
			if len(shares) != c.shareUsers {
				t.Fatalf("%d share checks, want %d: %+v", len(shares), c.shareUsers, shares)
			}
			for _, s := range shares {
				predicted := prov.Shares[0].Access.For(s.UID, s.GID).Write
				if s.Predicted != predicted || s.Writable != predicted {
					t.Errorf("uid %d gid %d (%s): run predicted %v and found %v; provision's report predicts %v",
						s.UID, s.GID, s.Class, s.Predicted, s.Writable, predicted)
				}
			}
			if c.shareUsers == 4 && (shares[3].Class != "other" || shares[3].Writable) {
				t.Errorf("a container user outside the share's group could write in it: %+v", shares[3])
			}
			assertUnchanged(t, host, target, tree)
		})
	}
}

// A command runs in the container with Thunder's environment; its exit
// status decides run's, and with --json its output goes to stderr.
func TestRunCommand(t *testing.T) {
	target, _ := runFixture(t, "")
	host, tree := hostState(t), treetest.Mtree(t, target)
	out, stderr, code := run(t, "run", "OCDM", "--target", target, "--", "/bin/sh", "-c",
		`hostname; echo "$MESSAGE_DISPATCHER_CONFIG"; ls -d /tmp/.thunder-lxc-run-*; touch /written`)
	if code != 0 || !strings.HasPrefix(out, "OCDM\n/tmp/MessageDispatcher|md|0|1|20480\n/tmp/.thunder-lxc-run-") {
		t.Fatalf("run -- sh: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	r, stderr, code := runReport(t, "OCDM", "--target", target, "--env", "GREETING=hello", "--", "/bin/sh", "-c", "echo $PATH; exit 7")
	if code != 1 || r.ExitCode != 7 || !r.Started || r.OK || !strings.Contains(stderr, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") ||
		!strings.Contains(stderr, "the command /bin/sh exited with status 7 in the container") {
		t.Errorf("exit 7: code %d, report %+v, stderr %q", code, r, stderr)
	}
	if !slices.Contains(r.Environment, "GREETING=hello") {
		t.Errorf("environment %q lacks --env GREETING=hello", r.Environment)
	}
	if _, stderr, code := run(t, "run", "OCDM", "--target", target, "--", "/bin/thunder-lxc-nowhere"); code != 1 ||
		!strings.Contains(stderr, "/bin/thunder-lxc-nowhere is not in the container's rootfs /usr/share/Thunder/OCDM/Container/rootfs") {
		t.Errorf("a command the rootfs lacks: exit %d, %q", code, stderr)
	}
	assertUnchanged(t, host, target, tree)
}

// A broken target: run fails (exit 1) and names the reason, LXC's own
// words when LXC refuses.
func TestRunBrokenTargets(t *testing.T) {
	const dir = "usr/share/Thunder/OCDM/Container"
	editConfig := func(t *testing.T, target string, edit func(string) string) {
		p := filepath.Join(target, dir, "config")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(edit(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name    string
		brk     func(t *testing.T, target string)
		started bool
		reason  string // in the error line and in LXC's errors or the failed check
	}{
		{"no /tmp mount entry", func(t *testing.T, target string) {
			editConfig(t, target, func(s string) string {
				return strings.Replace(s, "lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\n", "", 1)
			})
		}, true, "add lxc.mount.entry = /tmp tmp none bind,create=dir 0 0"},
		{"an environment variable Thunder does not set", func(t *testing.T, target string) {
			editConfig(t, target, func(s string) string { return s + "lxc.environment = THUNDER_LXC_UNSET\n" })
		}, false, `Failed to parse config file "/usr/share/Thunder/OCDM/Container/config" at line "lxc.environment = THUNDER_LXC_UNSET"`},
		{"a rootfs container root cannot enter", func(t *testing.T, target string) {
			rootfs := filepath.Join(target, dir, "rootfs")
			if err := os.Chown(rootfs, 0, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(rootfs, 0o700); err != nil {
				t.Fatal(err)
			}
		}, false, "Permission denied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, _ := runFixture(t, "")
			c.brk(t, target)
			host, tree := hostState(t), treetest.Mtree(t, target)
			r, stderr, code := runReport(t, "OCDM", "--target", target)
			if code != 1 || r.OK || r.Started != c.started || !strings.Contains(stderr, "thunder-lxc: OCDM: ") {
				t.Fatalf("exit %d, ok %v, started %v, stderr %q", code, r.OK, r.Started, stderr)
			}
			var said []string
			for _, ch := range r.Checks {
				if !ch.OK {
					said = append(said, ch.Message)
				}
			}
			said = append(said, r.LXCErrors...)
			if !slices.ContainsFunc(said, func(s string) bool { return strings.Contains(s, c.reason) }) {
				t.Errorf("the report does not say %q: %q", c.reason, said)
			}
			if !c.started && !strings.Contains(stderr, c.reason) {
				t.Errorf("the error line does not say LXC's reason %q: %q", c.reason, stderr)
			}
			if !c.started { // with a command, the report goes to stderr
				out, stderr, code := run(t, "run", "OCDM", "--target", target, "--", "/bin/sh", "-c", "true")
				if code != 1 || out != "" || !strings.Contains(stderr, "LXC's errors:\n") || !strings.Contains(stderr, c.reason) {
					t.Errorf("run -- sh: exit %d, stdout %q, stderr %q", code, out, stderr)
				}
			}
			assertUnchanged(t, host, target, tree)
		})
	}
}

// An armhf rootfs runs on an x86-64 build host through qemu-user: uname
// inside says armv7l, and the smoke test passes.
func TestRunArmhfThroughQemu(t *testing.T) {
	busybox := filepath.Join(treetest.Unpacked(t, "busybox-static:armhf"), "bin/busybox")
	target, _ := runFixture(t, busybox)
	out, stderr, code := run(t, "run", "OCDM", "--target", target, "--", "/bin/busybox", "uname", "-m")
	if code != 0 && strings.Contains(stderr, "qemu-user-static") {
		t.Skipf("no qemu-user binfmt_misc handler for armhf on this build host: %s", stderr)
	}
	if code != 0 || out != "armv7l\n" {
		t.Fatalf("uname -m in the armhf container: exit %d, %q, stderr %q", code, out, stderr)
	}
	r, stderr, code := runReport(t, "OCDM", "--target", target)
	if code != 0 || !r.OK || r.Emulation == nil || r.Emulation.Handler == "" || !strings.Contains(r.Emulation.Rootfs, "32-bit EM_ARM") {
		t.Fatalf("smoke test of the armhf container: exit %d, %+v, stderr %q", code, r, stderr)
	}
}

// An ordinary user is told that run needs root, and nothing is changed.
func TestRunAsOrdinaryUser(t *testing.T) {
	treetest.NeedTool(t, "setpriv", "util-linux")
	target, _ := runFixture(t, "")
	dir := t.TempDir()
	bin := filepath.Join(dir, "thunder-lxc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// t.TempDir's folders are 0700: open the test's own ones so the user
	// can reach the target and the binary.
	for _, p := range []string{dir, filepath.Dir(dir), filepath.Dir(target), filepath.Dir(filepath.Dir(target))} {
		os.Chmod(p, 0o755)
	}
	host, tree := hostState(t), treetest.Mtree(t, target)
	out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "run", "OCDM", "--target", target).CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 ||
		!strings.Contains(string(out), "needs root") || !strings.Contains(string(out), "sudo thunder-lxc run") {
		t.Errorf("as uid 65534: %v\n%s", err, out)
	}
	assertUnchanged(t, host, target, tree)
}

// run's --json report has the shape of every other command's, in each way
// it can end.
func TestRunJSONShape(t *testing.T) {
	unprovisioned := treetest.SampleTarget(t)
	for _, c := range []jsonCase{
		{"run without callsign", []string{"run", "--target", unprovisioned}, "run", 2, "usage"},
		{"run without container", []string{"run", "OCDM", "--target", unprovisioned}, "run", 1, "failed"},
	} {
		t.Run(c.name, func(t *testing.T) { checkJSONCase(t, c) })
	}
	target, _ := runFixture(t, "", "--keep-id", "1000", "--share", testShare+":TestLogging")
	for _, c := range []jsonCase{
		{"smoke test", []string{"run", "OCDM", "--target", target}, "run", 0, ""},
		// checkJSONCase puts --json last, where sh -c takes it for $0.
		{"command", []string{"run", "OCDM", "--target", target, "--json", "--", "/bin/sh", "-c", "exit 0"}, "run", 0, ""},
		{"command failed", []string{"run", "OCDM", "--target", target, "--json", "--", "/bin/sh", "-c", "exit 3"}, "run", 1, "problems"},
	} {
		t.Run(c.name, func(t *testing.T) { checkJSONCase(t, c) })
	}
	if err := os.Chmod(filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs"), 0, 0); err != nil {
		t.Fatal(err)
	}
	checkJSONCase(t, jsonCase{"not started", []string{"run", "OCDM", "--target", target}, "run", 1, "problems"})
}
