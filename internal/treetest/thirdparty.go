package treetest

import (
	"os"
	"path/filepath"
	"testing"
)

// ThirdParty returns the path of name (a file or folder such as
// "buildroot-e991fa07.tar.gz" or "wpe-buildroot-R4_4") in the folder of
// third-party sources that $THUNDER_LXC_THIRD_PARTY names (.ci/run sets it
// to ../shared/third-party), or skips the test saying what is missing.
func ThirdParty(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("THUNDER_LXC_THIRD_PARTY")
	if dir == "" {
		t.Skipf("needs the third-party source %s: set THUNDER_LXC_THIRD_PARTY to the folder holding it (.ci/run sets ../shared/third-party)", name)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("needs the third-party source %s: %v", name, err)
	}
	return p
}
