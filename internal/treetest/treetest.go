// Package treetest builds and compares root filesystem trees for tests with
// the real tools: GNU tar makes the archives, bsdtar's mtree output compares
// trees.
package treetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NeedRoot skips a test that creates owners and device nodes, saying so.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates files owned by other users and device nodes (CI runs it as root)")
	}
}

// NeedTool skips a test whose tool is not installed, saying which package
// brings it (make test installs the packages of scripts/test-packages when
// run as root).
func NeedTool(t testing.TB, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("needs %s (Debian package %s; make test installs it when run as root)", tool, pkg)
	}
	return p
}

// Run runs a command and fails the test with its output on error.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Mtree describes dir with bsdtar's mtree format: type, mode, owner, size,
// modification time, link target, device numbers and a SHA-256 of each file,
// one line per path, in a stable order. Two trees are equal when their
// descriptions are.
func Mtree(t testing.TB, dir string) string {
	t.Helper()
	NeedTool(t, "bsdtar", "libarchive-tools")
	out, err := exec.Command("bsdtar", "--format=mtree",
		"--options=!all,type,mode,uid,gid,size,time,link,device,sha256,nlink",
		"-cf", "-", "-C", dir, ".").Output()
	if err != nil {
		t.Fatalf("bsdtar mtree of %s: %v", dir, err)
	}
	return string(out)
}

// BusyboxRootfs makes a small real root filesystem in dir: busybox-static
// with applet links, the sample's /etc files and the usual folders.
func BusyboxRootfs(t testing.TB, dir string) {
	t.Helper()
	BusyboxRootfsWith(t, dir, NeedTool(t, "busybox", "busybox-static"))
}

// BusyboxRootfsWith is BusyboxRootfs with the given busybox program, of
// another architecture for instance.
func BusyboxRootfsWith(t testing.TB, dir, busybox string) {
	t.Helper()
	for _, d := range []string{"bin", "sbin", "dev", "proc", "sys", "tmp", "root", "etc", "usr/bin", "home/default"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o1777)
	os.Chmod(filepath.Join(dir, "root"), 0o700)
	os.Chown(filepath.Join(dir, "home/default"), 1000, 1000)
	Run(t, "cp", busybox, filepath.Join(dir, "bin/busybox"))
	for _, applet := range []string{"sh", "ls", "cat", "id", "hostname", "touch", "stat", "echo", "nc", "su"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/bin/busybox", filepath.Join(dir, "sbin/init")); err != nil {
		t.Fatal(err)
	}
	// filepath.Join would drop the "/.", which makes cp copy the folder itself.
	Run(t, "cp", "-a", filepath.Join(RepoRoot(t), "testdata/sample-rootfs")+"/.", dir)
}

// SampleTarget copies testdata/sample-target to a new folder and returns it.
func SampleTarget(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "target")
	Run(t, "cp", "-a", filepath.Join(RepoRoot(t), "testdata/sample-target"), dir)
	return dir
}

// RepoRoot is the repository's top folder (where go.mod is).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// RunErr runs a command and returns its output and error, for commands a
// test may need to skip on.
func RunErr(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
