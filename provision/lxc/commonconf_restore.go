package lxc

import (
	"bytes"
	"strings"
)

// commentPrefix is what CommentSeccomp puts before a line.
const commentPrefix = "# "

// ActiveSeccompLines are the lxc.seccomp.profile lines of content that
// CommentSeccomp comments out, without their newline: what to record to
// restore them later.
func ActiveSeccompLines(content []byte) []string {
	var out []string
	for _, line := range bytes.Split(content, []byte("\n")) {
		if isActiveSeccomp(string(line)) {
			out = append(out, string(line))
		}
	}
	return out
}

// IsCommentedOut tells whether content holds line as CommentSeccomp
// comments it out.
func IsCommentedOut(content []byte, line string) bool {
	return HasLine(content, commentPrefix+line)
}

// RestoreSeccomp returns content with each of lines, where CommentSeccomp
// commented it out, active again; every other byte stays as it was.
func RestoreSeccomp(content []byte, lines []string) []byte {
	parts := bytes.SplitAfter(content, []byte("\n"))
	for _, want := range lines {
		for i, p := range parts {
			if strings.TrimSuffix(string(p), "\n") == commentPrefix+want {
				parts[i] = p[len(commentPrefix):]
				break
			}
		}
	}
	return bytes.Join(parts, nil)
}
