package hostview

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func assertMissing(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s on the build host after the view ended: %v", name, err)
	}
}

// LXC's lock files stay in the view: lxc-info on a container leaves none.
func TestRunLXCToolLeavesNoLockFiles(t *testing.T) {
	info, err := exec.LookPath("lxc-info")
	if err != nil {
		t.Skip("needs lxc-info (Debian package lxc)")
	}
	lxcpath := t.TempDir()
	if err := os.Mkdir(filepath.Join(lxcpath, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lxcpath, "c", "config"), []byte("lxc.uts.name = c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RunLXCTool(t, info, "-P", lxcpath, "-n", "c", "-c", "lxc.uts.name")
	if err != nil || !strings.Contains(out, "c") {
		t.Fatalf("lxc-info: %v: %s", err, out)
	}
	// Where LXC would have put it: root's run folder, or a user's.
	locks := []string{filepath.Join("/run/lxc/lock", lxcpath)}
	if os.Geteuid() != 0 {
		home, _ := os.UserHomeDir()
		locks = []string{filepath.Join(home, ".cache/lxc/run/lxc/lock", lxcpath)}
		if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
			locks = append(locks, filepath.Join(dir, "lxc/lock", lxcpath))
		}
	}
	for _, lock := range locks {
		assertMissing(t, lock)
	}
}
