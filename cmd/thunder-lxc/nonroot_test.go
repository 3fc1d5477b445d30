package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// As an ordinary user, provision stops before writing anything and says
// why, even where the user could write to the target.
func TestOrdinaryUserIsRefusedBeforeWriting(t *testing.T) {
	treetest.NeedRoot(t) // to become an ordinary user
	treetest.NeedTool(t, "setpriv", "util-linux")
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "thunder-lxc")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	target := treetest.SampleTarget(t)
	rootfs := filepath.Join(dir, "rootfs")
	treetest.BusyboxRootfs(t, rootfs)
	tarball := filepath.Join(dir, "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "-C", rootfs, "-cf", tarball, ".")
	os.Chmod(tarball, 0o644)
	// The target belongs to the user: only the tool's own check stops it.
	treetest.Run(t, "chown", "-R", "65534:65534", target)
	// t.TempDir's folders are 0700: open the test's own ones (never the
	// system's /tmp above them) so the user can reach the target.
	for _, p := range []string{filepath.Dir(target), filepath.Dir(filepath.Dir(target))} {
		os.Chmod(p, 0o755)
	}
	before := treetest.Mtree(t, target)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "provision", "OCDM", "--target", target, "--rootfs", tarball)
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 1 {
		t.Fatalf("as uid 65534: %v\n%s", err, out)
	}
	if msg := strings.TrimSpace(string(out)); strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "root") || !strings.Contains(msg, "nothing was changed") {
		t.Errorf("message: %q, want one line saying root is needed and nothing changed", msg)
	}
	if treetest.Mtree(t, target) != before {
		t.Error("the refused run changed the target")
	}
}
