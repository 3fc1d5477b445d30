package lxc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
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

// seccompKey is the key the guide comments out.
const seccompKey = "lxc.seccomp.profile"

// CommentSeccomp returns content with every active lxc.seccomp.profile line
// commented out and the number of lines changed. Everything else is kept byte
// for byte. Why: since LXC 4.0.11 a liblxc built without libseccomp fails to
// parse the key, LXC silently skips the container, and Thunder reports it as
// not found. A line is active when the config reader (splitLine) reads it
// as the key.
func CommentSeccomp(content []byte) ([]byte, int) {
	lines := bytes.SplitAfter(content, []byte("\n"))
	var out bytes.Buffer
	out.Grow(len(content) + 64)
	changed := 0
	for _, line := range lines {
		if isActiveSeccomp(string(bytes.TrimSuffix(line, []byte("\n")))) {
			out.WriteString(commentPrefix)
			changed++
		}
		out.Write(line)
	}
	return out.Bytes(), changed
}

// isActiveSeccomp tells whether the config reader reads line (without its
// newline) as lxc.seccomp.profile.
func isActiveSeccomp(line string) bool {
	key, _, _, ok := splitLine(line)
	return ok && key == seccompKey
}

// SeccompEdit is one config file whose lxc.seccomp.profile lines are
// commented out.
type SeccompEdit struct {
	Path     string // device path
	Old, New []byte
	Lines    int // lines commented out
}

// SeccompPlan is what commenting out the seccomp profile takes: the edits,
// in the order LXC reads the files, and what LXC could not follow (an
// include of a FIFO, a device).
type SeccompPlan struct {
	Edits    []SeccompEdit
	Problems []ConfigProblem
}

// PlanSeccompComment reads the files a container config includes (device
// paths, such as CommonConfPath) and what they include in turn, as LXC
// follows them, and plans an edit of each file that sets
// lxc.seccomp.profile. Commenting out common.conf's line alone would leave
// one in common.conf.d/ active, and LXC would refuse the config all the
// same. A missing file has no edit.
func PlanSeccompComment(root inroot.FS, includes []string) (SeccompPlan, error) {
	var plan SeccompPlan
	seen := map[string]bool{} // resolved local paths
	for _, inc := range includes {
		cfg, err := ReadConfig(root, inc)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return SeccompPlan{}, fmt.Errorf("read %s: %w", inroot.Describe(root, inc), err)
		}
		plan.Problems = append(plan.Problems, cfg.Problems...)
		for _, l := range cfg.All(seccompKey) {
			resolved, err := inroot.Resolve(root, l.File, true)
			if err != nil {
				return SeccompPlan{}, fmt.Errorf("resolve %s: %w", inroot.Describe(root, l.File), err)
			}
			if seen[resolved] {
				continue
			}
			seen[resolved] = true
			old, err := inroot.ReadFile(root, l.File)
			if err != nil {
				return SeccompPlan{}, fmt.Errorf("read %s: %w", inroot.Describe(root, l.File), err)
			}
			updated, n := CommentSeccomp(old)
			plan.Edits = append(plan.Edits, SeccompEdit{Path: l.File, Old: old, New: updated, Lines: n})
		}
	}
	return plan, nil
}

// ConfigFiles lists every file LXC reads for the included files given
// (device paths): each of them and what it includes, in order; missing or
// unreadable ones are left out.
func ConfigFiles(root inroot.FS, includes []string) []string {
	var files []string
	for _, inc := range includes {
		if cfg, err := ReadConfig(root, inc); err == nil {
			files = append(files, cfg.Files...)
		}
	}
	return files
}
