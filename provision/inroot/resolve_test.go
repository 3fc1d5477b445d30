package inroot

import (
	"os"
	"path/filepath"
	"testing"
)

// buildTree makes a small target root with the kinds of links a real rootfs
// has, and a file outside it that must never be reached.
func buildTree(t *testing.T) (*os.Root, string) {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "target")
	for _, d := range []string{"opt/lxc/config", "etc", "usr/share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, "opt/lxc/config/common.conf"), []byte("inside\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(top, "outside"), []byte("host\n"), 0o644))
	must(t, os.Symlink("/opt/lxc", filepath.Join(dir, "usr/share/lxc")))
	must(t, os.Symlink("../../../../outside", filepath.Join(dir, "etc/up")))
	must(t, os.Symlink("/etc/loop2", filepath.Join(dir, "etc/loop1")))
	must(t, os.Symlink("/etc/loop1", filepath.Join(dir, "etc/loop2")))
	must(t, os.Symlink("common.conf", filepath.Join(dir, "opt/lxc/config/alias.conf")))
	root, err := os.OpenRoot(dir)
	must(t, err)
	t.Cleanup(func() { root.Close() })
	return root, top
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	root, _ := buildTree(t)
	cases := []struct {
		name, want string
		followLast bool
	}{
		{"/usr/share/lxc/config/common.conf", "opt/lxc/config/common.conf", true},
		{"usr/share/lxc/config/common.conf", "opt/lxc/config/common.conf", false},
		{"/usr/share/lxc", "usr/share/lxc", false},
		{"/usr/share/lxc", "opt/lxc", true},
		{"/../../etc", "etc", true},
		{"/etc/up", "outside", true}, // chroot semantics: ".." stops at the root
		{"/usr/share/lxc/config/alias.conf", "opt/lxc/config/common.conf", true},
		{"/usr/share/lxc/config/alias.conf", "opt/lxc/config/alias.conf", false},
		{"/missing/a/../b", "missing/b", true},
		{"/missing/../usr/share/lxc/x", "opt/lxc/x", true},
		{"/", ".", true},
	}
	for _, c := range cases {
		got, err := Resolve(root, c.name, c.followLast)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%q, %v) = %q, %v; want %q", c.name, c.followLast, got, err, c.want)
		}
	}
	if _, err := Resolve(root, "/etc/loop1/x", true); err == nil {
		t.Error("symlink loop: want an error")
	}
}

func TestReadFileThroughAbsoluteSymlink(t *testing.T) {
	root, _ := buildTree(t)
	data, err := ReadFile(root, "/usr/share/lxc/config/common.conf")
	if err != nil || string(data) != "inside\n" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
}

func TestWriteFileAtomicStaysInside(t *testing.T) {
	root, top := buildTree(t)
	// etc/up points far above the root; written through the target's eyes
	// it lands on the target's /outside, and the host file is untouched.
	must(t, WriteFileAtomic(root, "/etc/up", []byte("changed\n"), 0o644))
	host, _ := os.ReadFile(filepath.Join(top, "outside"))
	if string(host) != "host\n" {
		t.Fatalf("host file changed: %q", host)
	}
	inside, err := os.ReadFile(filepath.Join(top, "target/outside"))
	if err != nil || string(inside) != "changed\n" {
		t.Fatalf("target file = %q, %v", inside, err)
	}
}

func TestWriteFileAtomicKeepsMode(t *testing.T) {
	root, top := buildTree(t)
	file := filepath.Join(top, "target/opt/lxc/config/common.conf")
	must(t, os.Chmod(file, 0o640))
	must(t, WriteFileAtomic(root, "/usr/share/lxc/config/common.conf", []byte("new\n"), 0o644))
	info, err := os.Lstat(file)
	must(t, err)
	if info.Mode().Perm() != 0o640 {
		t.Fatalf("mode = %v, want 0640", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	for _, e := range entries {
		if e.Name() != "common.conf" && e.Name() != "alias.conf" {
			t.Fatalf("leftover temporary file %s", e.Name())
		}
	}
	// The symlink alias.conf is still a symlink.
	if info, _ := os.Lstat(filepath.Join(filepath.Dir(file), "alias.conf")); info.Mode()&os.ModeSymlink == 0 {
		t.Fatal("alias.conf is no longer a symlink")
	}
}
