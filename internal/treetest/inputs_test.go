package treetest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// skips runs f as the subtest name and tells whether f skipped it.
func skips(t *testing.T, name string, f func(t *testing.T)) bool {
	t.Helper()
	var skipped bool
	t.Run(name, func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		f(t)
	})
	return skipped
}

func TestUnpackedReadsTheTestDepsCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("THUNDER_LXC_TEST_CACHE", cache)
	want := filepath.Join(cache, "deb", "busybox-static_armhf")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Unpacked(t, "busybox-static:armhf"); got != want {
		t.Errorf("Unpacked = %s, want %s", got, want)
	}
	if !skips(t, "listed but not downloaded", func(t *testing.T) { Unpacked(t, "busybox-static:arm64") }) {
		t.Error("a listed package missing from the cache did not skip the test")
	}
}

func TestUnpackLinesAreTheListsUnpackLines(t *testing.T) {
	specs := unpackLines(t)
	for _, want := range []string{"busybox-static:armhf", "busybox-static:amd64", "linux-config-6.1"} {
		if !slices.Contains(specs, want) {
			t.Errorf("unpack lines %q lack %s", specs, want)
		}
	}
	if slices.Contains(specs, "lxc") || slices.Contains(specs, "unpack") {
		t.Errorf("unpack lines %q hold a package to install or the keyword", specs)
	}
}

func TestThirdPartyFindsTheNamedSource(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "buildroot.tar.gz")
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("THUNDER_LXC_THIRD_PARTY", dir)
	if got := ThirdParty(t, "buildroot.tar.gz"); got != want {
		t.Errorf("ThirdParty = %s, want %s", got, want)
	}
	if !skips(t, "missing source", func(t *testing.T) { ThirdParty(t, "thunder.tar.gz") }) {
		t.Error("a missing source did not skip the test")
	}
	t.Setenv("THUNDER_LXC_THIRD_PARTY", "")
	if !skips(t, "variable unset", func(t *testing.T) { ThirdParty(t, "buildroot.tar.gz") }) {
		t.Error("an unset THUNDER_LXC_THIRD_PARTY did not skip the test")
	}
}
