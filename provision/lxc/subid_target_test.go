package lxc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSubIDGrantsPerTool(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	m, _ := NewIDMap(IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}})

	if files, err := SubIDGrants(root, m); err != nil || len(files) != 0 {
		t.Fatalf("no helpers: %+v, %v; want nothing to grant", files, err)
	}
	// Only newuidmap: only /etc/subuid matters.
	os.WriteFile(filepath.Join(dir, "usr/bin/newuidmap"), []byte("x"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/subuid"), []byte("root:100000:65536\n"), 0o644)
	files, err := SubIDGrants(root, m)
	if err != nil || len(files) != 1 || files[0].File != "/etc/subuid" || files[0].Tool != "/usr/bin/newuidmap" {
		t.Fatalf("newuidmap only: %+v, %v", files, err)
	}
	if got := strings.Join(files[0].Missing, ","); got != "root:1000:1" {
		t.Errorf("missing %q, want root:1000:1 (the rest is granted)", got)
	}
	// newgidmap in /bin, subgid missing: everything is needed.
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin/newgidmap"), []byte("x"), 0o755)
	files, err = SubIDGrants(root, m)
	if err != nil || len(files) != 2 || files[1].Exists || len(files[1].Missing) == 0 {
		t.Fatalf("with newgidmap: %+v, %v", files, err)
	}
	os.WriteFile(filepath.Join(dir, "etc/subgid"), []byte("root:x:1\n"), 0o644)
	if _, err := SubIDGrants(root, m); err == nil || !strings.Contains(err.Error(), "/etc/subgid") {
		t.Fatalf("malformed subgid: %v, want an error naming the file", err)
	}
}
