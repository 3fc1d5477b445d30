package hostview

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes mount namespaces and mounts in them")
	}
}

// run runs the shell script in the view and returns its output.
func run(t *testing.T, v *View, script string) string {
	t.Helper()
	c, started := v.Command("sh", "-c", script)
	out, err := c.CombinedOutput()
	if !started() || err != nil {
		t.Fatalf("in the view: started %v, %v\n%s", started(), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertMissing(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s on the build host after the view ended: %v", name, err)
	}
}

// A folder and a file bound at device paths the host lacks (in folders it
// has) are there for the program, and nowhere after.
func TestViewShowsMissingDevicePathsWithoutMakingThem(t *testing.T) {
	needRoot(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "marker"), "from the target\n")
	file := filepath.Join(t.TempDir(), "grants")
	writeFile(t, file, "root:100000:65536\n")
	dir := fmt.Sprintf("/var/log/hostview-test-%d", os.Getpid())
	etcFile := fmt.Sprintf("/etc/hostview-test-%d", os.Getpid())

	v := New(t)
	v.Bind(src, dir+"/deeper")
	v.BindFile(file, etcFile)
	out := run(t, v, "cat "+dir+"/deeper/marker "+etcFile+"; touch "+dir+"/written; echo x > /etc/hostview-written")
	if out != "from the target\nroot:100000:65536\n" {
		t.Errorf("in the view: %q", out)
	}
	for _, p := range []string{dir, etcFile, "/etc/hostview-written"} {
		assertMissing(t, p)
	}
	if entries, err := os.ReadDir(src); err != nil || len(entries) != 1 {
		t.Errorf("the bound folder: %d entries, %v; want only the marker", len(entries), err)
	}
}

// A tmpfs hides what a folder holds and takes what is written there.
func TestViewTmpfsKeepsWritesOffTheHost(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "host-file"), "x")
	v := New(t)
	v.Tmpfs(dir)
	if out := run(t, v, "ls -A "+dir+"; touch "+dir+"/lock"); out != "" {
		t.Errorf("the tmpfs shows %q, want nothing", out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "host-file" {
		t.Errorf("the host folder holds %v (%v), want only host-file", entries, err)
	}
}

// A view that cannot be made is not mistaken for the program's failure.
func TestViewSetupFailureIsNotTheProgramsExit(t *testing.T) {
	needRoot(t)
	v := New(t)
	v.Bind(filepath.Join(t.TempDir(), "missing"), "/var/log")
	c, started := v.Command("true")
	if out, err := c.CombinedOutput(); err == nil || started() {
		t.Errorf("bind of a missing folder: error %v, started %v: %s", err, started(), out)
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
	writeFile(t, filepath.Join(lxcpath, "c", "config"), "lxc.uts.name = c\n")
	out, err := RunLXCTool(t, info, "-P", lxcpath, "-n", "c", "-c", "lxc.uts.name")
	if err != nil || !strings.Contains(out, "c") {
		t.Fatalf("lxc-info: %v: %s", err, out)
	}
	// Where LXC would have put it: root's run folder, or a user's.
	locks := []string{filepath.Join(LXCRunDir, "lock", lxcpath)}
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
