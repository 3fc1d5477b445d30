package provision

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// The dry run's diffs are what diff -u prints: GNU patch applies each to
// the old file and gets the new one, and edits far apart are separate
// hunks.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	patch := treetest.NeedTool(t, "patch", "patch")
	lines := func(n int, edit map[int]string) string {
		var b strings.Builder
		for i := range n {
			if s, ok := edit[i]; ok {
				b.WriteString(s)
				continue
			}
			b.WriteString("line " + string(rune('a'+i%26)) + "\n")
		}
		return b.String()
	}
	for _, c := range []struct {
		name     string
		old, new string
		hunks    int
	}{
		{"one line", lines(10, nil), lines(10, map[int]string{4: "changed\n"}), 1},
		{"far apart", lines(40, nil), lines(40, map[int]string{2: "first\n", 35: "second\n"}), 2},
		{"added at the end", "a\nb\n", "a\nb\nc\n", 1},
		{"no newline at the end", "a\nb", "a\nc", 1},
		{"newline added", "a\nb", "a\nb\n", 1},
		{"emptied", "a\nb\n", "", 1},
		{"from nothing", "", "x\n", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := unifiedDiff("/etc/Thunder/plugins/OCDM.json", []byte(c.old), []byte(c.new))
			if got := strings.Count(d, "\n@@ "); got != c.hunks {
				t.Errorf("%d hunks, want %d:\n%s", got, c.hunks, d)
			}
			if !strings.HasPrefix(d, "--- a/etc/Thunder/plugins/OCDM.json\n+++ b/etc/Thunder/plugins/OCDM.json\n") {
				t.Errorf("diff does not name a/ and b/ of the device path:\n%s", d)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "etc/Thunder/plugins/OCDM.json")
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, []byte(c.old), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(patch, "-p1", "--quiet", "--force")
			cmd.Dir, cmd.Stdin = dir, strings.NewReader(d)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch: %v\n%s\n%s", err, out, d)
			}
			if got, _ := os.ReadFile(file); string(got) != c.new {
				t.Errorf("patched file %q, want %q; diff:\n%s", got, c.new, d)
			}
		})
	}
	if d := unifiedDiff("/x", []byte("same\n"), []byte("same\n")); d != "" {
		t.Errorf("no change gives %q, want none", d)
	}
}
