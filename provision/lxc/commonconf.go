package lxc

import (
	"bytes"
	"regexp"
)

// CommonConfPath is where LXC's shared container config lives on the device.
const CommonConfPath = "/usr/share/lxc/config/common.conf"

// Seccomp modes: what becomes of common.conf's lxc.seccomp.profile line.
const (
	SeccompComment = "comment" // the guide's: comment the line out
	SeccompKeep    = "keep"    // leave common.conf alone
	SeccompAuto    = "auto"    // comment it out only when the device cannot load the profile
)

// SeccompModes lists the modes in the order help texts name them.
var SeccompModes = []string{SeccompComment, SeccompKeep, SeccompAuto}

// activeSeccomp matches an active (not commented) lxc.seccomp.profile line.
var activeSeccomp = regexp.MustCompile(`^[ \t]*lxc\.seccomp\.profile[ \t]*=`)

// CommentSeccomp returns content with every active lxc.seccomp.profile line
// commented out and the number of lines changed. Everything else is kept byte
// for byte. Why: since LXC 4.0.11 a liblxc built without libseccomp fails to
// parse the key, LXC silently skips the container, and Thunder reports it as
// not found.
func CommentSeccomp(content []byte) ([]byte, int) {
	lines := bytes.SplitAfter(content, []byte("\n"))
	var out bytes.Buffer
	out.Grow(len(content) + 64)
	changed := 0
	for _, line := range lines {
		if activeSeccomp.Match(line) {
			out.WriteString("# ")
			changed++
		}
		out.Write(line)
	}
	return out.Bytes(), changed
}
