package lxcrun

import (
	"regexp"
	"strings"
)

// maxLXCErrors bounds the error lines kept from one log: LXC unwinds a
// failed start with a line per function it leaves, and the first ones say
// why.
const maxLXCErrors = 20

// LogLevel is the priority LXC logs at: NOTICE has its errors and
// warnings, and the line saying the program started, without the
// step-by-step INFO and DEBUG lines.
const LogLevel = "NOTICE"

// lxcLogLine is one line of LXC's log file: "lxc-execute Container
// 20261130123344.543 ERROR    conf - ../src/lxc/conf.c:mount_entry:2446 -
// No such file or directory - Failed to mount ...".
var lxcLogLine = regexp.MustCompile(`^\S+ \S+ \S+ ([A-Z]+)\s+\S+ - \S*?([A-Za-z0-9_]+):\d+ - (.*)$`)

// startedMarker ends the NOTICE line lxc-execute logs once the program
// runs (execute_post_start: "'/bin/sh' started with pid '4242'"),
// in LXC 3 to 6.
const startedMarker = "started with pid"

// readLXCLog tells from LXC's log whether it started the program, and
// returns its error lines as "function: message".
func readLXCLog(log []byte) (started bool, errs []string) {
	for _, line := range strings.Split(string(log), "\n") {
		m := lxcLogLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		level, function, message := m[1], m[2], m[3]
		switch {
		case level == "NOTICE" && strings.Contains(message, startedMarker):
			started = true
		case level == "ERROR" && len(errs) < maxLXCErrors:
			errs = append(errs, function+": "+message)
		}
	}
	return started, errs
}
