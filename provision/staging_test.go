package provision

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// Two containers under a data path that does not exist yet: the first
// commit makes the shared folders, the second moves in only its own.
func TestSeveralContainersUnderAMissingDataPath(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	if err := os.RemoveAll(filepath.Join(target, "usr/share/Thunder")); err != nil {
		t.Fatal(err)
	}
	webkit, err := os.ReadFile(filepath.Join(treetest.RepoRoot(t), "testdata/plugins/WebKitBrowser.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "etc/Thunder/plugins/WebKitBrowser.json"), webkit, 0o644); err != nil {
		t.Fatal(err)
	}
	report := provisionOK(t, Request{Callsigns: []string{"OCDM", "WebKitBrowser"}, Target: target, Source: rootfsTarball(t, "")})
	for _, c := range report.Containers {
		if _, err := os.Stat(filepath.Join(target, c.Dir, "rootfs/bin/busybox")); err != nil {
			t.Errorf("%s: %v", c.Callsign, err)
		}
	}
	assertNoStaging(t, target)
}
