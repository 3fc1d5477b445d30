package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// A write that fails after the container is in place and another file was
// already edited (a full disk, a read-only folder) undoes everything: the
// container goes, the edited plugin config gets its old content back.
func TestFailedEditRollsBack(t *testing.T) {
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "chattr", "e2fsprogs")
	target := treetest.SampleTarget(t)
	tarball := rootfsTarball(t, "")
	plugin := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	oldPlugin := read(t, plugin)
	oldCommon := read(t, filepath.Join(target, "usr/share/lxc/config/common.conf"))
	// The plugin config is written after common.conf; its folder refuses
	// new files, as a full or read-only filesystem would.
	locked := filepath.Join(target, "etc/Thunder/plugins")
	if out, err := treetest.RunErr("chattr", "+i", locked); err != nil {
		t.Skipf("needs chattr +i on the test folder's filesystem: %v %s", err, out)
	}
	t.Cleanup(func() { treetest.RunErr("chattr", "-i", locked) })

	err := provisionErr(Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
	if err == nil || !strings.Contains(err.Error(), "OCDM.json") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v, want a failure naming OCDM.json", err)
	}
	if got := read(t, plugin); got != oldPlugin {
		t.Errorf("plugin config changed:\n%s", got)
	}
	if got := read(t, filepath.Join(target, "usr/share/lxc/config/common.conf")); got != oldCommon {
		t.Error("common.conf not restored")
	}
	if _, err := os.Lstat(filepath.Join(target, "usr/share/Thunder/OCDM/Container")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the container is still there: %v", err)
	}
	assertNoStaging(t, target)
}
