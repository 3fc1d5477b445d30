package lxc

import (
	"os"
	"testing"
)

// TestMain runs the tests, except in the copy of the test binary that
// TestAccessAgainstKernel starts as a container user (probeEnv set): that
// one only probes the user's access and exits, so the probe is no test and
// is neither run nor counted as one.
func TestMain(m *testing.M) {
	if spec := os.Getenv(probeEnv); spec != "" {
		probeAccess(spec)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
