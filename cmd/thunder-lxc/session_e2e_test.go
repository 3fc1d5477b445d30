package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
)

// sessionFixture is what the session tests start from, all made by root
// with GNU tar in a folder the ordinary user can read.
type sessionFixture struct {
	dir string
	bin string // thunder-lxc
	// rootfs.tar: a Thunder target that is a whole busybox rootfs too,
	// with everything owners and modes can hold; rootfs.xattrs is its
	// getfattr dump.
	rootfs, xattrs string
	// target.tar: the sample Thunder target alone (its own xattrs dump is
	// target.xattrs, empty); rootfs.tar.gz is rootfs.tar compressed.
	target, targetXattrs, rootfsGz string
}

// inEachSession runs test in each kind of session, with a new fixture.
func inEachSession(t *testing.T, test func(t *testing.T, k sessiontest.Kind, f *sessionFixture)) {
	t.Helper()
	for _, k := range sessiontest.Kinds {
		t.Run(k.Name, func(t *testing.T) {
			sessiontest.Need(t, k)
			test(t, k, newSessionFixture(t))
		})
	}
}

// newSessionFixture builds the tool and the archives.
func newSessionFixture(t testing.TB) *sessionFixture {
	t.Helper()
	f := &sessionFixture{dir: sessiontest.WorkDir(t)}
	f.bin = filepath.Join(f.dir, "thunder-lxc")
	build := exec.Command("go", "build", "-o", f.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	src := filepath.Join(t.TempDir(), "rootfs")
	richRootfs(t, src)
	f.rootfs, f.xattrs = filepath.Join(f.dir, "rootfs.tar"), filepath.Join(f.dir, "rootfs.xattrs")
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", src, "-cf", f.rootfs, ".")
	sessiontest.XattrDump(t, src, f.xattrs)
	f.rootfsGz = f.rootfs + ".gz"
	treetest.Run(t, "sh", "-c", `gzip -c "$1" > "$2"`, "sh", f.rootfs, f.rootfsGz)

	target := treetest.SampleTarget(t)
	writePlugin(t, target, "Other")
	f.target, f.targetXattrs = filepath.Join(f.dir, "target.tar"), filepath.Join(f.dir, "target.xattrs")
	treetest.Run(t, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", target, "-cf", f.target, ".")
	sessiontest.XattrDump(t, target, f.targetXattrs)
	for _, p := range []string{f.rootfs, f.rootfsGz, f.xattrs, f.target, f.targetXattrs} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// richRootfs makes, as root, a rootfs that is also a Thunder target:
// busybox, the sample target's Thunder and LXC files, two plugins, and
// what a rootfs holds that only root can make or that an ordinary user
// cannot read: device nodes, a FIFO, a setuid program with a hardlink, a
// file capability, a user xattr, a 0700 /root with a 0000 file, a 0555
// folder with a 0400 file, a folder owned by another user.
func richRootfs(t testing.TB, dir string) {
	t.Helper()
	treetest.BusyboxRootfs(t, dir)
	treetest.Run(t, "cp", "-a", filepath.Join(treetest.RepoRoot(t), "testdata/sample-target")+"/.", dir)
	writePlugin(t, dir, "Other")
	sh := `set -e; cd "$1"
mknod dev/null c 1 3; mknod dev/sda b 8 0; mkfifo dev/initctl
rm bin/su; cp bin/busybox bin/su; chmod 4755 bin/su; ln bin/su sbin/su-link
printf 'ping' > bin/ping; chmod 0755 bin/ping; setcap cap_net_raw+ep bin/ping
setfattr -n user.note -v hello etc/hostname
printf 'secret' > root/secret; chmod 0000 root/secret
mkdir ro; printf 'ro' > ro/file; chmod 0400 ro/file; chmod 0555 ro
`
	treetest.Run(t, "sh", "-c", sh, "sh", dir)
}

// writePlugin adds a plugin config in Local mode to the target.
func writePlugin(t testing.TB, target, callsign string) {
	t.Helper()
	config := `{"locator": "libThunder` + callsign + `.so", "classname": "` + callsign + `", "configuration": {"root": {"mode": "Local"}}}` + "\n"
	if err := os.WriteFile(filepath.Join(target, "etc/Thunder/plugins", callsign+".json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
}

// matchesRootRun checks that the tar a session made (out.tar) holds what
// root makes: it unpacks tarball as root, provisions it in-process with
// args (the target flag added), archives the result as the sessions do
// and compares. It returns the root run's report and the description of
// out.tar.
func (f *sessionFixture) matchesRootRun(t *testing.T, k sessiontest.Kind, tarball string, args ...string) (provision.Report, []string) {
	t.Helper()
	target := filepath.Join(t.TempDir(), "root-run")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", tarball, "-C", target)
	report := provisionJSON(t, append(args, "--target", target)...)
	archive := filepath.Join(t.TempDir(), "root-run.tar")
	treetest.Run(t, "bash", "-c", sessiontest.Snapshot+`; snapshot "$1" "$2"`, "bash", target, archive)
	untimed := written(report)
	want := sessiontest.Describe(t, archive, untimed)
	got := sessiontest.Describe(t, filepath.Join(f.dir, "out.tar"), untimed)
	if d := sessiontest.Diff(want, got); d != "" {
		t.Fatalf("the tar made in %s differs from root's run (- root, + %s):\n%s", k.Name, k.Name, d)
	}
	return report, got
}

// written tells the paths a run writes at run time (new or edited files,
// changed folders), whose times differ from one run to another.
func written(report provision.Report) func(name string, dir bool) bool {
	fixed := map[string]bool{}
	for _, f := range report.Files {
		fixed[strings.TrimPrefix(f.Path, "/")] = true
	}
	return func(name string, dir bool) bool {
		return dir || fixed[name] || path.Base(name) == "config" || path.Base(name) == ".thunder-lxc.json"
	}
}

// unpackExtracted extracts a tar made in a session as root, as an image
// maker would put it on the device.
func unpackExtracted(t *testing.T, archive string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "device")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", archive, "-C", dir)
	return dir
}

// startsWithWritableRoot starts the container under LXC from the device
// tree: its root owns / and /root, can write there, and sees the setuid
// bit and the shifted owner of the 0000 file.
func startsWithWritableRoot(t *testing.T, device string, report provision.Report, c provision.ContainerReport) {
	t.Helper()
	grantFor(t, report)
	const probe = `stat -c '%u:%g %a' / /root /root/secret /bin/su; if touch /root/x; then echo write-ok; fi`
	binds := []string{report.DataPath}
	for _, s := range report.Shares {
		binds = append(binds, s.Host)
	}
	res := lxctest.Execute(t, device, binds, c.Dir, lxctest.Env(), "/bin/busybox", "sh", "-c", probe)
	want := "0:0 755|0:0 700|0:0 0|0:0 4755|write-ok"
	if got := strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(res.Stdout), "\n", "|")), " "); res.ExitCode != 0 || got != want {
		t.Fatalf("container %s: got %q, want %q\n%s", c.Callsign, got, want, res)
	}
}

// The guide's way in a build: the target, unpacked in the session, is its
// own source (a Buildroot post-fakeroot script). Two callsigns share one
// read of the source; a share folder is made. The tar the session makes
// holds what a root run makes, and the container starts under LXC.
func TestSessionProvisionsItsOwnTarget(t *testing.T) {
	lxctest.NeedLXC(t)
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		args := []string{"provision", "OCDM", "Other", "--keep-id", "1000", "--share", lxctest.UniqueDevicePath("/var/log", "TestLogging") + ":TestLogging"}
		out := sessiontest.MustRun(t, k, f.dir, `
mkdir t
unpack "$ROOTFS" t "$XATTRS"
"$TL" $ARGS --target t > first.txt
"$TL" $ARGS --target t --json > second.json
snapshot t out.tar
`, "TL="+f.bin, "ROOTFS="+f.rootfs, "XATTRS="+f.xattrs, "ARGS="+strings.Join(args, " "))
		// The rerun reads the share folder the first one made as the
		// session records it.
		data, _ := os.ReadFile(filepath.Join(f.dir, "second.json"))
		var second provision.Report
		if err := json.Unmarshal(data, &second); err != nil {
			t.Fatalf("second run's report: %v\n%s%s", err, data, out)
		}
		if second.Changed {
			t.Errorf("second run in %s changed something:\n%s", k.Name, data)
		}
		if sh := second.Shares[0]; sh.Owner.UID != 1000 || sh.Owner.GID != 1000 || sh.Mode != "7770" {
			t.Errorf("second run in %s finds the share folder owned by %d:%d, mode %s; want 1000:1000 7770", k.Name, sh.Owner.UID, sh.Owner.GID, sh.Mode)
		}
		report, _ := f.matchesRootRun(t, k, f.rootfs, args[1:]...)
		device := unpackExtracted(t, filepath.Join(f.dir, "out.tar"))
		for _, c := range report.Containers {
			startsWithWritableRoot(t, device, report, c)
		}
	})
}

// --rootfs: the container's rootfs comes from a compressed tarball, whose
// xattrs (a capability among them) reach the session's record.
func TestSessionProvisionsFromATarball(t *testing.T) {
	lxctest.NeedLXC(t)
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		sessiontest.MustRun(t, k, f.dir, `
mkdir t
unpack "$TARGET" t "$XATTRS"
"$TL" provision OCDM --target t --rootfs "$ROOTFS" > /dev/null
snapshot t out.tar
`, "TL="+f.bin, "TARGET="+f.target, "XATTRS="+f.targetXattrs, "ROOTFS="+f.rootfsGz)
		report, got := f.matchesRootRun(t, k, f.target, "OCDM", "--rootfs", f.rootfsGz)
		if !strings.Contains(strings.Join(got, "\n"), "rootfs/bin/ping type=0 mode=0755 owner=100000:100000") {
			t.Errorf("the capability file is not in the container, shifted")
		}
		startsWithWritableRoot(t, unpackExtracted(t, filepath.Join(f.dir, "out.tar")), report, report.Containers[0])
	})
}

// A refused run (a changed container without --force) and a failed one (a
// cut tarball, which fails halfway through unpacking) leave the target as
// the session sees it exactly as it was, times included, and no staging
// folder.
func TestSessionRefusedAndFailedRunsChangeNothing(t *testing.T) {
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		cut := filepath.Join(f.dir, "cut.tar.gz")
		data, err := os.ReadFile(f.rootfsGz)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
			t.Fatal(err)
		}
		out := sessiontest.MustRun(t, k, f.dir, `
mkdir t
unpack "$TARGET" t "$XATTRS"
"$TL" provision OCDM --target t --rootfs "$ROOTFS" > /dev/null
snapshot t before.tar
if "$TL" provision OCDM --target t --rootfs "$ROOTFS" --keep-id 2000 2> refused.txt; then echo "the changed run was not refused"; exit 1; fi
snapshot t after-refused.tar
if "$TL" provision Other --target t --rootfs "$CUT" 2> failed.txt; then echo "the cut tarball was taken"; exit 1; fi
snapshot t after-failed.tar
find t -name '.thunder-lxc-*'
`, "TL="+f.bin, "TARGET="+f.target, "XATTRS="+f.targetXattrs, "ROOTFS="+f.rootfsGz, "CUT="+cut)
		if strings.TrimSpace(out) != "" {
			t.Errorf("left in the target: %s", out)
		}
		before := sessiontest.Describe(t, filepath.Join(f.dir, "before.tar"), nil)
		for _, c := range []struct{ snapshot, messages, want string }{
			{"after-refused.tar", "refused.txt", "--force"},
			{"after-failed.tar", "failed.txt", "nothing was changed"},
		} {
			msg, _ := os.ReadFile(filepath.Join(f.dir, c.messages))
			if !strings.Contains(string(msg), c.want) {
				t.Errorf("%s: %q does not say %q", c.messages, msg, c.want)
			}
			if d := sessiontest.Diff(before, sessiontest.Describe(t, filepath.Join(f.dir, c.snapshot), nil)); d != "" {
				t.Errorf("%s: the target changed as %s sees it:\n%s", c.messages, k.Name, d)
			}
		}
	})
}

// Debian's fakeroot records files that GNU tar --xattrs unpacks without a
// file type, so no tar can read them in the session: the error names the
// file and says how to unpack instead.
func TestSessionUnreadableRecordIsNamed(t *testing.T) {
	k := sessiontest.Kinds[0]
	sessiontest.Need(t, k)
	f := newSessionFixture(t)
	out, err := sessiontest.Run(t, k, f.dir, `
mkdir t
tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS" -C t
"$TL" provision OCDM --target t
`, "TL="+f.bin, "ROOTFS="+f.rootfs)
	if err == nil {
		t.Fatalf("provision read a tree whose records fakeroot broke:\n%s", out)
	}
	for _, want := range []string{"t/bin/ping, t/etc/hostname: Unknown file type", "setcap", "without --xattrs", "nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("message does not say %q:\n%s", want, out)
		}
	}
}

// A session whose tar is not GNU tar (busybox's here) is refused before
// anything is written, naming the program found.
func TestSessionWithoutGNUTar(t *testing.T) {
	k := sessiontest.Kinds[0]
	sessiontest.Need(t, k)
	busybox := treetest.NeedTool(t, "busybox", "busybox-static")
	f := newSessionFixture(t)
	out, err := sessiontest.Run(t, k, f.dir, `
mkdir t bb
tar -xpf "$TARGET" -C t
ln -s "$BUSYBOX" bb/tar
PATH="$PWD/bb:$PATH" "$TL" provision OCDM --target t --rootfs "$ROOTFS"
`, "TL="+f.bin, "TARGET="+f.target, "ROOTFS="+f.rootfsGz, "BUSYBOX="+busybox)
	if err == nil {
		t.Fatalf("provision ran with busybox tar:\n%s", out)
	}
	for _, want := range []string{"bb/tar is not GNU tar", "put GNU tar first on PATH", "inside fakeroot"} {
		if !strings.Contains(out, want) {
			t.Errorf("message does not say %q:\n%s", want, out)
		}
	}
}

// Outside any session an ordinary user is refused, and told the ways that
// need no root: a fakeroot session, or image.
func TestOrdinaryUserIsToldTheRootlessWays(t *testing.T) {
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "setpriv", "util-linux")
	f := newSessionFixture(t)
	target := filepath.Join(f.dir, "t")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	treetest.Run(t, "tar", "-xpf", f.target, "-C", target)
	treetest.Run(t, "chown", "-R", "65534:65534", target)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", f.bin, "provision", "OCDM", "--target", target, "--rootfs", f.rootfsGz)
	cmd.Env = append(os.Environ(), "LD_PRELOAD=") // whatever the test runs in
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("as an ordinary user: %v\n%s", err, out)
	}
	for _, want := range []string{"fakeroot", "thunder-lxc image", "nothing was changed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("refusal does not say %q: %s", want, out)
		}
	}
}
