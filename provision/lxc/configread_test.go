package lxc

import (
	"os"
	"path/filepath"
	"testing"
)

// readTree writes files (device path → content) into a fresh root and
// reads /config from it.
func readTree(t *testing.T, files map[string]string) *Config {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	cfg, err := ReadConfig(root, "/config")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// An empty lxc.idmap clears the lines before it, as liblxc does (lxc-info
// -c lxc.idmap reports only what follows it); the ranges come sorted.
func TestConfigIDMapClearsAndSorts(t *testing.T) {
	cfg := readTree(t, map[string]string{"/config": "lxc.idmap = u 0 1 1\nlxc.idmap =\n" +
		"lxc.idmap = u 1000 1000 1\nlxc.idmap = u 0 100000 1000\nlxc.idmap = g 0 100000 65536\n"})
	m, mapped := cfg.IDMap()
	want := []Range{{'u', 0, 100000, 1000}, {'u', 1000, 1000, 1}}
	if !mapped || len(m.UID) != 2 || m.UID[0] != want[0] || m.UID[1] != want[1] || len(m.GID) != 1 {
		t.Fatalf("IDMap = %+v, %v: want uid %v and one gid range", m, mapped, want)
	}
	if _, mapped := readTree(t, map[string]string{"/config": "lxc.uts.name = c\n"}).IDMap(); mapped {
		t.Error("a config without lxc.idmap is mapped")
	}
}

// Included files are read in place, a folder's *.conf files sorted; the
// last assignment decides, wherever it stands.
func TestConfigIncludesInPlace(t *testing.T) {
	cfg := readTree(t, map[string]string{
		"/config":        "lxc.uts.name = a\nlxc.include = /inc/\nlxc.include = /missing.d/\n",
		"/inc/20-b.conf": "lxc.uts.name = c\n",
		"/inc/10-a.conf": "lxc.uts.name = b\n",
		"/inc/README":    "lxc.bogus = 1\n",
		"/inc/.conf":     "lxc.bogus = 1\n",
	})
	if len(cfg.Problems) != 0 {
		t.Fatalf("problems %+v, want none", cfg.Problems)
	}
	var order []string
	for _, l := range cfg.All("lxc.uts.name") {
		order = append(order, l.File+"="+l.Value)
	}
	if got, want := len(order), 3; got != want || order[1] != "/inc/10-a.conf=b" || order[2] != "/inc/20-b.conf=c" {
		t.Fatalf("lxc.uts.name lines %v: want the config's, then 10-a.conf's, then 20-b.conf's", order)
	}
	if l, _ := cfg.Last("lxc.uts.name"); l.Value != "c" || l.Where() != "line 1" {
		t.Errorf("Last = %+v, want c on line 1 of 20-b.conf", l)
	}
}
