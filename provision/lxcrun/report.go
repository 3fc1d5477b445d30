package lxcrun

import (
	"fmt"
	"io"
	"strings"
)

// Report is what a run did; its JSON form is what `run --json` prints.
type Report struct {
	Target   string `json:"target"`
	Callsign string `json:"callsign"`
	Layout   string `json:"layout"`
	// Container is the device path of the container folder Thunder
	// starts; Rootfs is its rootfs's.
	Container string `json:"container"`
	Rootfs    string `json:"rootfs"`
	// Emulation is how a rootfs of another architecture runs; left out
	// when it runs natively.
	Emulation *Emulation `json:"emulation,omitempty"`
	// Environment is what LXC got (and passes on as lxc.environment says).
	Environment []string `json:"environment"`
	// View lists what the private mount namespace showed where; Notes
	// where it differs from the device.
	View  []string `json:"view"`
	Notes []string `json:"notes"`
	// Command is what ran in the container (argv: "command" is the
	// report head's); empty for the smoke test.
	Command []string `json:"argv"`
	// Started tells whether LXC started it; LXCErrors are LXC's own error
	// lines when it did not.
	Started   bool     `json:"started"`
	LXCErrors []string `json:"lxcErrors"`
	// ExitCode is the command's (the smoke test's shell's) exit status.
	ExitCode int     `json:"exitCode"`
	Checks   []Check `json:"checks"`
	// OK: the container started and every check passed (the command
	// exited 0).
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"`
}

// Failed counts the checks that failed.
func (r *Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.OK {
			n++
		}
	}
	return n
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s: container %s (target %s, layout %s)\n", r.Callsign, r.Container, r.Target, r.Layout)
	if r.Emulation != nil {
		fmt.Fprintf(w, "  the rootfs's programs are %s: run through %s (%s)\n", r.Emulation.Rootfs, r.Emulation.Handler, r.Emulation.Interpreter)
	}
	for _, c := range r.Checks {
		state := "ok    "
		if !c.OK {
			state = "FAILED"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", state, c.Name, c.Message)
	}
	if len(r.LXCErrors) > 0 {
		fmt.Fprintln(w, "LXC's errors:")
		for _, l := range r.LXCErrors {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if !r.Started {
		fmt.Fprintln(w, "LXC saw, in the private mount namespace:")
		for _, l := range r.View {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	switch {
	case len(r.Command) > 0 && r.Started:
		fmt.Fprintf(w, "%s exited with status %d.\n", strings.Join(r.Command, " "), r.ExitCode)
	case r.OK:
		fmt.Fprintf(w, "The smoke test passed (%.1fs).\n", r.Seconds)
	case r.Started:
		fmt.Fprintf(w, "%d check(s) failed.\n", r.Failed())
	}
}
