package lxcrun

import (
	"fmt"
	"strings"
)

// Names of the smoke test's checks.
const (
	CheckStart        = "start"        // LXC started the container
	CheckHostProcess  = "hostprocess"  // ThunderPlugin / WPEProcess is on the container's PATH
	CheckRootfs       = "rootfs"       // container root can write its rootfs
	CheckVolatile     = "volatile"     // the volatile path is mounted in the container
	CheckCommunicator = "communicator" // so is the communicator socket's folder
	CheckShare        = "share"        // a share is writable by whom the ID map predicts
)

// Check is one check of the smoke test.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	// Share is set for CheckShare.
	Share *ShareProbe `json:"share,omitempty"`
}

// ShareProbe is one container user trying to create a file in a share.
type ShareProbe struct {
	// Source is the shared folder's device path, Path where the container
	// sees it.
	Source string `json:"source"`
	Path   string `json:"path"`
	// UID and GID are the container user's; Class is which mode bits
	// apply to it: root, owner, group or other.
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Class string `json:"class"`
	// Predicted is whether the access explanation (the one provision and
	// verify print) says the user can create files there; Writable is
	// whether it could.
	Predicted bool `json:"predicted"`
	Writable  bool `json:"writable"`
}

// smokeShell is the program the smoke test runs in the container: the
// rootfs's own shell, as Thunder's hosting process needs nothing else.
const smokeShell = "/bin/sh"

// smokeScript runs the probes given as arguments, three per probe (KIND
// NAME ARG), and prints one line per probe: "thunder-lxc-probe NAME ok
// DETAIL" or "... failed DETAIL". The values are arguments, never part of
// the script, so no quoting can go wrong. KIND is onpath (ARG is a
// program name looked up in PATH), write (ARG is a folder to create a file
// in, removed again) or exists (ARG is a path).
const smokeScript = `while [ $# -ge 3 ]; do
	kind=$1 name=$2 arg=$3
	shift 3
	case $kind in
	onpath)
		if found=$(command -v "$arg" 2>/dev/null); then
			echo "thunder-lxc-probe $name ok $found"
		else
			echo "thunder-lxc-probe $name failed PATH=$PATH"
		fi ;;
	write)
		probe=$arg/.thunder-lxc-probe-$$
		if err=$( { : >"$probe"; } 2>&1 ); then
			rm -f "$probe"
			echo "thunder-lxc-probe $name ok"
		else
			echo "thunder-lxc-probe $name failed $err"
		fi ;;
	exists)
		if [ -e "$arg" ]; then
			echo "thunder-lxc-probe $name ok"
		else
			echo "thunder-lxc-probe $name failed"
		fi ;;
	esac
done
`

const probePrefix = "thunder-lxc-probe "

// probe is one question the smoke script answers.
type probe struct {
	kind, name, arg string
}

// probeAnswer is the script's answer to a probe.
type probeAnswer struct {
	ok     bool
	detail string
}

// smokeArgs is the command line that runs the probes in the container.
func smokeArgs(probes []probe) []string {
	args := []string{smokeShell, "-c", smokeScript, "thunder-lxc-smoke-test"}
	for _, p := range probes {
		args = append(args, p.kind, p.name, p.arg)
	}
	return args
}

// readAnswers reads the script's output.
func readAnswers(out string) map[string]probeAnswer {
	answers := map[string]probeAnswer{}
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, probePrefix)
		if !ok {
			continue
		}
		fields := strings.SplitN(rest, " ", 3)
		if len(fields) < 2 {
			continue
		}
		a := probeAnswer{ok: fields[1] == "ok"}
		if len(fields) == 3 {
			a.detail = fields[2]
		}
		answers[fields[0]] = a
	}
	return answers
}

// noAnswer is the message of a probe the script did not answer.
func noAnswer(output string) string {
	msg := "the smoke test's shell gave no answer"
	if s := strings.TrimSpace(output); s != "" {
		msg += fmt.Sprintf(" (it said: %s)", firstLines(s, 3))
	}
	return msg
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " / ")
}
