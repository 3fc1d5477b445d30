package verify

import (
	"fmt"
	"io"
)

// WriteText prints the report for a person: one line per container, then
// one line per finding.
func (r *Report) WriteText(w io.Writer) {
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "Target %s:\n", r.Target)
		writeFindings(w, r.Findings)
	}
	if len(r.Containers) == 0 {
		fmt.Fprintf(w, "Target %s: no plugin is in Container mode or has a container, nothing to verify (name callsigns to check them anyway)\n", r.Target)
		return
	}
	for _, c := range r.Containers {
		state := "would start"
		if !c.OK() {
			state = "would NOT start"
		}
		dir := c.Dir
		if dir == "" {
			dir = "no container"
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", c.Callsign, dir, state)
		writeFindings(w, c.Findings)
		if c.Inspect != "" {
			fmt.Fprintf(w, "  inspect it on the device: %s\n", c.Inspect)
		}
	}
}

func writeFindings(w io.Writer, findings []Finding) {
	for _, f := range findings {
		fmt.Fprintf(w, "  %s [%s] %s: %s\n    fix: %s\n", f.Severity, f.Check, f.File, f.Message, f.Fix)
	}
}

// Errors counts the error findings of the target and of every container.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	for _, c := range r.Containers {
		for _, f := range c.Findings {
			if f.Severity == SeverityError {
				n++
			}
		}
	}
	return n
}
