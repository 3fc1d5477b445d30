package lxc

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// statAs gives every folder the owner 0:0 and the mode the test set on it.
func statAs(devicePath string, info fs.FileInfo) (Owner, fs.FileMode, error) {
	uid, gid := inroot.Owner(info)
	return Owner{UID: uid, GID: gid}, info.Mode().Perm(), nil
}

// The first folder that container root (host 100000) cannot enter is
// found, on the written path and on a symlink's target; folders the
// container's own IDs own, or skipped ones, pass.
func TestRootCannotSearch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes folders owned by the container's host IDs")
	}
	dir := t.TempDir()
	for _, d := range []string{"usr/share/Thunder/OCDM/Container/rootfs", "data/shared", "tmp/x", "var/log/TestLogging"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/data", filepath.Join(dir, "usr/share/link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, err := NewIDMap(DefaultIDMapRequest())
	if err != nil {
		t.Fatal(err)
	}
	chmod := func(name string, mode fs.FileMode) {
		t.Helper()
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	chmod(".", 0o770)
	chmod("data", 0o700)
	chmod("tmp", 0o700)
	// The rootfs itself, owned by the container's root, may be 0700.
	if err := os.Chown(filepath.Join(dir, "usr/share/Thunder/OCDM/Container/rootfs"), 100000, 100000); err != nil {
		t.Fatal(err)
	}
	chmod("usr/share/Thunder/OCDM/Container/rootfs", 0o700)
	// A share folder owned by an ID the map keeps: root's capabilities count.
	keep, err := NewIDMap(IDMapRequest{Base: DefaultIDMapBase, Size: DefaultIDMapSize, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "var/log/TestLogging"), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	chmod("var/log/TestLogging", 0o770)
	runtime := func(p string) bool { return p == "/tmp" }

	for _, c := range []struct {
		name string
		self bool
		m    IDMap
		want string
	}{
		{"/usr/share/Thunder/OCDM/Container/rootfs", true, m, "/"},
		{"/usr/share/link/shared", false, m, "/"},
		{"/tmp/x", false, m, "/"},
	} {
		b, err := RootCannotSearch(root, c.m, c.name, c.self, statAs, runtime)
		if err != nil || b == nil || b.Folder != c.want {
			t.Errorf("%s: %+v, %v; want %s", c.name, b, err, c.want)
		}
	}
	chmod(".", 0o755)
	for _, c := range []struct {
		name string
		self bool
		m    IDMap
		want string // "" for none
	}{
		{"/usr/share/Thunder/OCDM/Container/rootfs", true, m, ""},
		{"/usr/share/link/shared", false, m, "/data"}, // behind the symlink
		{"/tmp/x/y", false, m, ""},                    // /tmp is a tmpfs at run time
		{"/var/log/TestLogging/x", false, keep, ""},
		{"/var/log/TestLogging/x", false, m, "/var/log/TestLogging"},
		{"/missing/folder", false, m, ""},
	} {
		b, err := RootCannotSearch(root, c.m, c.name, c.self, statAs, runtime)
		got := ""
		if b != nil {
			got = b.Folder
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	b, _ := RootCannotSearch(root, m, "/usr/share/link/shared", false, statAs, runtime)
	if got := b.Describe(m); got != "/data (host owner 0:0, mode 0700) does not let the container's root (host uid 100000, gid 100000) enter it" {
		t.Errorf("Describe: %q", got)
	}
}
