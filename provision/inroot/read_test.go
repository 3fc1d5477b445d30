package inroot

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// ReadFile reads regular files only, of bounded size, and never blocks:
// a FIFO, a device or a folder in a file's place is refused at once.
func TestReadFileRegularOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ok"), []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	big.Close()
	if err := os.Symlink("/fifo", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if data, err := ReadFile(root, "/ok"); err != nil || string(data) != "content" {
		t.Errorf("ReadFile(ok) = %q, %v", data, err)
	}
	for name, want := range map[string]error{"/fifo": ErrNotRegular, "/folder": ErrNotRegular, "/big": ErrTooLarge, "/link": ErrNotRegular} {
		if _, err := ReadFile(root, name); !errors.Is(err, want) {
			t.Errorf("ReadFile(%s) err = %v, want %v", name, err, want)
		}
	}
}

// Temporary names are told from others, and found where runs make them.
func TestLeftovers(t *testing.T) {
	for name, want := range map[string]bool{
		TempName(3, "OCDM.json", TempNew): true,
		TempName(0, "x.conf", TempOld):    true,
		".thunder-lxc-12-0":               true,
		".thunder-lxc.json":               false, // a container's state file
		".thunder-lxc-12-0.common.conf":   false, // ends like a config: not a name a run makes
		".thunder-lxc-notes":              false,
		"thunder-lxc-12-0":                false,
	} {
		if IsTemp(name) != want {
			t.Errorf("IsTemp(%q) = %v", name, !want)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"usr/share/Thunder/OCDM", "etc/lxc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"usr/share/.thunder-lxc-1-0", "usr/share/Thunder/OCDM/.thunder-lxc-1-1", "usr/share/Thunder/.thunder-lxc-1-2"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/lxc/.thunder-lxc-1-0.default.conf.old", "etc/.thunder-lxc-1-0.subuid.new"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	got := Leftovers(root, LeftoverPlaces(root, "/usr/share/Thunder", []string{"/etc/lxc"}, []string{"/etc/subuid"}))
	want := []string{"etc/.thunder-lxc-1-0.subuid.new", "etc/lxc/.thunder-lxc-1-0.default.conf.old",
		"usr/share/.thunder-lxc-1-0", "usr/share/Thunder/.thunder-lxc-1-2", "usr/share/Thunder/OCDM/.thunder-lxc-1-1"}
	if !slices.Equal(got, want) {
		t.Errorf("Leftovers = %v, want %v", got, want)
	}
}
