package treetest

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Unpacked returns the folder in which `make test-deps` unpacked the Debian
// package spec (NAME or NAME:ARCH, an "unpack" line of
// scripts/test-packages), or skips the test saying how to get it. The
// folder is shared by every test run: read it, never write it.
func Unpacked(t testing.TB, spec string) string {
	t.Helper()
	if !slices.Contains(unpackLines(t), spec) {
		t.Fatalf("%s is no \"unpack\" line of scripts/test-packages: add it there, so make test-deps gets it", spec)
	}
	cache, err := testCache()
	if err != nil {
		t.Skipf("needs the Debian package %s unpacked by make test-deps, but there is no cache folder: %v", spec, err)
	}
	dir := filepath.Join(cache, "deb", strings.Replace(spec, ":", "_", 1))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("needs the Debian package %s unpacked in %s: make test-deps downloads it from the Debian mirror", spec, dir)
	}
	return dir
}

// testCache is the folder scripts/test-deps.sh unpacks into:
// $THUNDER_LXC_TEST_CACHE, else thunder-lxc-test in the user's cache
// folder ($XDG_CACHE_HOME or ~/.cache), as the script computes it.
func testCache() (string, error) {
	if dir := os.Getenv("THUNDER_LXC_TEST_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "thunder-lxc-test"), nil
}

// unpackLines returns the packages scripts/test-packages lists as
// "unpack NAME[:ARCH]".
func unpackLines(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), "scripts", "test-packages"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var specs []string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line, _, _ := strings.Cut(lines.Text(), "#")
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "unpack" {
			specs = append(specs, fields[1])
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return specs
}
