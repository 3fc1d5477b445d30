package provision

import (
	"fmt"
	"strings"
)

// unifiedDiff returns a one-hunk unified diff of old and new: the lines
// between their common head and common tail. The tool's edits change a few
// lines in place, for which this is exactly the diff a person reads.
func unifiedDiff(name string, old, new []byte) string {
	a := strings.SplitAfter(string(old), "\n")
	b := strings.SplitAfter(string(new), "\n")
	if a[len(a)-1] == "" {
		a = a[:len(a)-1]
	}
	if b[len(b)-1] == "" {
		b = b[:len(b)-1]
	}
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	if head == len(a) && head == len(b) {
		return ""
	}
	const context = 3
	from := max(head-context, 0)
	toA := min(len(a)-tail+context, len(a))
	toB := min(len(b)-tail+context, len(b))
	var d strings.Builder
	fmt.Fprintf(&d, "--- a%s\n+++ b%s\n", name, name)
	fmt.Fprintf(&d, "@@ -%s +%s @@\n", hunkRange(from, toA-from), hunkRange(from, toB-from))
	for i := from; i < head; i++ {
		d.WriteString(" " + line(a[i]))
	}
	for i := head; i < len(a)-tail; i++ {
		d.WriteString("-" + line(a[i]))
	}
	for i := head; i < len(b)-tail; i++ {
		d.WriteString("+" + line(b[i]))
	}
	for i := len(a) - tail; i < toA; i++ {
		d.WriteString(" " + line(a[i]))
	}
	return d.String()
}

func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

// line ends a diff line with a newline, marking a missing one as diff does.
func line(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n\\ No newline at end of file\n"
}
