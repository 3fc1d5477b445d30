package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// outputFlags are --json and --progress, shared by every command that
// changes or checks something.
type outputFlags struct {
	json     bool
	progress string
}

func (o *outputFlags) add(cmd *cobra.Command) {
	addJSONFlag(cmd, &o.json)
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress display on stderr: auto (when stderr is a terminal), always or never")
}

func (o *outputFlags) validate() error {
	switch o.progress {
	case "auto", "always", "never":
		return nil
	}
	return &usageError{fmt.Errorf("--progress %q: use auto, always or never", o.progress)}
}

// print writes the report: JSON with --json, the human text otherwise.
func (o *outputFlags) print(cmd *cobra.Command, report any, text func(io.Writer)) error {
	out := cmd.OutOrStdout()
	if o.json {
		return writeJSON(out, report)
	}
	text(out)
	return nil
}

// progressDisplay shows bytes written on stderr, or nothing.
type progressDisplay struct{ bar *progressbar.ProgressBar }

func (o *outputFlags) progressDisplay(cmd *cobra.Command, what string) *progressDisplay {
	show := o.progress == "always"
	if o.progress == "auto" {
		f, ok := cmd.ErrOrStderr().(*os.File)
		show = ok && term.IsTerminal(int(f.Fd()))
	}
	if !show {
		return &progressDisplay{}
	}
	return &progressDisplay{bar: progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(cmd.ErrOrStderr()),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)}
}

// update is the Progress callback; nil-safe so callers need not check.
func (p *progressDisplay) update(written int64) {
	if p.bar != nil {
		p.bar.Set64(written)
	}
}

func (p *progressDisplay) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// addJSONFlag adds --json, worded the same on every command.
func addJSONFlag(cmd *cobra.Command, value *bool) {
	cmd.Flags().BoolVar(value, "json", false, "print a machine-readable JSON report on stdout")
}

// writeJSON is the one JSON encoding of every report: indented, and with
// "<", ">" and "&" kept as written (they appear in reasons and paths).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
