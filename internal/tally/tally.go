// Package tally counts the hostile inputs and fault injections the tests
// run, for the summary line `make test` prints: each count is appended to
// the file that THUNDER_LXC_TALLY names (nothing is written when it is
// unset), one "KIND COUNT" line per call, and scripts/tally.sh sums them.
package tally

import (
	"fmt"
	"os"
)

// Kinds counted.
const (
	HostileArchive = "hostile-archives"
	HostileTarget  = "hostile-targets"
	FaultInjection = "fault-injections"
)

// Add counts n cases of kind.
func Add(kind string, n int) {
	name := os.Getenv("THUNDER_LXC_TALLY")
	if name == "" || n == 0 {
		return
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		return
	}
	defer f.Close()
	// One short write: lines of test binaries running at once do not mix.
	fmt.Fprintf(f, "%s %d\n", kind, n)
}
