package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --image and -o go together and exclude --target, in apply and remove
// alike; each mistake is a usage error (exit status 2) naming the fix,
// and nothing is written.
func TestImageFlagsMistakes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "containers.yaml")
	if err := os.WriteFile(file, []byte("containers:\n  - callsign: OCDM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, out := filepath.Join(dir, "in.tar"), filepath.Join(dir, "out.tar")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "-f", file, "--image", in, "-o", out, "--target", dir}, "not both"},
		{[]string{"remove", "OCDM", "--image", in, "-o", out, "--target", dir}, "not both"},
		{[]string{"apply", "-f", file, "--image", in}, "--image needs -o OUT"},
		{[]string{"remove", "OCDM", "--image", in}, "--image needs -o OUT"},
		{[]string{"apply", "-f", file, "--target", dir, "-o", out}, "-o is where --image writes"},
		{[]string{"remove", "OCDM", "--target", dir, "-o", out}, "-o is where --image writes"},
		{[]string{"apply", "-f", file, "--image", in, "-o", "-", "--json"}, "--json writes to standard output"},
		{[]string{"remove", "OCDM", "--image", in, "-o", "-", "--json"}, "--json writes to standard output"},
		{[]string{"apply", "-f", file}, "or give a rootfs tarball with --image IN -o OUT"},
		{[]string{"remove", "OCDM"}, "--target: give the folder"},
	} {
		_, stderr, code := run(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want 2 and %q: %s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("the refused runs left %v", left)
	}
}
