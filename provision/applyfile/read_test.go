package applyfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Defaults reach every container, an entry overrides them, the command
// line overrides both; a single value stands for a list of one; paths are
// the file's folder's.
func TestRequestsMergeDefaultsEntriesAndFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "containers.yaml")
	yaml := `target: rootfs
rootfs: images/rootfs.tar.xz
keep-id: 1000
env: [A=1]
containers:
  - callsign: OCDM
    env: B=2
    share: /var/log/TestLogging:TestLogging
  - callsign: Cobalt
    rootfs: /abs/rootfs.tar
    no-idmap: true
    keep-id: []
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	reqs, remove, err := f.Requests(Settings{"net": {V: "none", Where: "--net"}})
	if err != nil || len(reqs) != 2 || remove != nil {
		t.Fatalf("requests: %v, %d, remove %v", err, len(reqs), remove)
	}
	ocdm, cobalt := reqs[0], reqs[1]
	if ocdm.Target != filepath.Join(dir, "rootfs") || ocdm.Source != filepath.Join(dir, "images/rootfs.tar.xz") {
		t.Errorf("OCDM's paths: target %q, rootfs %q; want them in %s", ocdm.Target, ocdm.Source, dir)
	}
	if !slices.Equal(ocdm.Env, []string{"B=2"}) || !slices.Equal(ocdm.KeepUIDs, []int{1000}) || len(ocdm.Shares) != 1 || ocdm.Net != "none" {
		t.Errorf("OCDM's request: %+v", ocdm)
	}
	if cobalt.Source != "/abs/rootfs.tar" || !cobalt.NoIDMap || len(cobalt.KeepUIDs) != 0 || !slices.Equal(cobalt.Env, []string{"A=1"}) || cobalt.Net != "none" {
		t.Errorf("Cobalt's request: %+v", cobalt)
	}
}

// A file that is no YAML, or no mapping, is refused with the line.
func TestParseRefusesWhatIsNoApplyFile(t *testing.T) {
	if _, err := Parse("x.yaml", []byte("containers: [\n")); err == nil {
		t.Error("broken YAML accepted")
	}
	if _, err := Parse("x.yaml", []byte("- OCDM\n")); err == nil {
		t.Error("a list accepted as an apply file")
	}
}

// The commented example of docs/apply.md is a valid apply file.
func TestDocsExampleIsValid(t *testing.T) {
	doc, err := os.ReadFile("../../docs/apply.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(doc), "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !found || !closed {
		t.Fatal("docs/apply.md has no yaml example")
	}
	f, err := Parse("docs/apply.md", []byte(example))
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("the example: %v %v", err, f.Problems)
	}
	reqs, remove, err := f.Requests(nil)
	if err != nil || len(reqs) != 3 || len(remove) != 1 || !slices.Equal(reqs[0].KeepUIDs, []int{1000}) {
		t.Errorf("the example's requests: %v, %+v, remove %v", err, reqs, remove)
	}
}
