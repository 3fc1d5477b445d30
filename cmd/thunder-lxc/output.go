package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// jsonSchema is the version of the --json report shape. It goes up when a
// key is renamed, removed or changes meaning; a new key does not change it.
const jsonSchema = 1

// Error kinds of a --json report, stable so a script can branch on them
// without parsing the message.
const (
	errorKindUsage       = "usage"       // a command-line mistake (exit 2)
	errorKindProblems    = "problems"    // the report lists what is wrong (exit 1)
	errorKindInterrupted = "interrupted" // Ctrl-C or SIGTERM (exit 1)
	errorKindFailed      = "failed"      // anything else that stopped the command (exit 1)
)

// jsonFlag is --json, worded the same on every command that has it.
type jsonFlag struct{ on bool }

func (j *jsonFlag) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&j.on, "json", false, "print a machine-readable JSON report on stdout (one object, with \"error\" on failure)")
}

// print shows the report: its text now, or with --json hands it to the
// printer, which writes it once the command has finished, so that an error
// the command returns afterwards lands in the same JSON object.
func (j *jsonFlag) print(cmd *cobra.Command, report any, text func(io.Writer)) error {
	if j.on {
		outcomeOf(cmd).report = report
		return nil
	}
	text(cmd.OutOrStdout())
	return nil
}

// outputFlags are --json and --progress, shared by the commands that write
// a target.
type outputFlags struct {
	jsonFlag
	progress string
}

// progressModes are the values of --progress.
var progressModes = []string{"auto", "always", "never"}

func (o *outputFlags) add(cmd *cobra.Command) {
	o.jsonFlag.add(cmd)
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress display on stderr: auto (when stderr is a terminal), always (a plain line every few seconds when it is not) or never")
}

func (o *outputFlags) validate() error {
	if slices.Contains(progressModes, o.progress) {
		return nil
	}
	return &usageError{fmt.Errorf("--progress %q: use auto, always or never", o.progress)}
}

// outcome is what a command hands to the printer: its report, if it got
// that far.
type outcome struct{ report any }

type outcomeKey struct{}

// withOutcome gives the commands run under ctx a place for their report.
func withOutcome(ctx context.Context, o *outcome) context.Context {
	return context.WithValue(ctx, outcomeKey{}, o)
}

func outcomeOf(cmd *cobra.Command) *outcome {
	o, ok := cmd.Context().Value(outcomeKey{}).(*outcome)
	if !ok {
		panic("command run without execute: no place for its report")
	}
	return o
}

// printOutcome is the one place a command's outcome is written: with
// --json exactly one JSON object on stdout (the report, with "error" and
// "errorKind" on failure), and the error, if any, as one line on stderr.
func printOutcome(cmd *cobra.Command, args []string, o *outcome, err error, stdout, stderr io.Writer) error {
	if cmd != nil && asksJSON(cmd, args, err) && (o.report != nil || err != nil) {
		if werr := writeReport(stdout, commandName(cmd), o.report, err); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "thunder-lxc:", err)
	}
	return err
}

// asksJSON tells whether the command line asked for --json. When the flags
// could not be parsed, parsing stopped at the bad one and a later --json was
// never read, so the arguments themselves are looked at.
func asksJSON(cmd *cobra.Command, args []string, err error) bool {
	f := cmd.Flags().Lookup("json")
	if f == nil {
		return false
	}
	if f.Changed {
		return f.Value.String() == "true"
	}
	var badFlags *badFlagsError
	if !errors.As(err, &badFlags) {
		return false
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" || a == "--json=true" {
			return true
		}
	}
	return false
}

// commandName is the command as typed after the program name: "check kernel".
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// reportHead is the start of every --json report.
type reportHead struct {
	Schema    int    `json:"schema"`
	Command   string `json:"command"`
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"`
}

// writeReport writes the head and then the report's own members as one
// indented JSON object.
func writeReport(w io.Writer, command string, report any, err error) error {
	head := reportHead{Schema: jsonSchema, Command: command}
	if err != nil {
		head.Error, head.ErrorKind = err.Error(), errorKind(err)
	}
	object, merr := marshal(head)
	if merr != nil {
		return merr
	}
	if report != nil {
		body, merr := marshal(report)
		if merr != nil {
			return merr
		}
		if len(body) < 2 || body[0] != '{' {
			return fmt.Errorf("%s report is not a JSON object: %.40s", command, body)
		}
		if len(body) > 2 { // not "{}": splice its members after the head's
			object = append(append(object[:len(object)-1], ','), body[1:]...)
		}
	}
	var out bytes.Buffer
	if err := json.Indent(&out, object, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, werr := out.WriteTo(w)
	return werr
}

// marshal encodes v compactly, keeping "<", ">" and "&" as written (they
// appear in reasons and paths).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func errorKind(err error) string {
	var usage *usageError
	var problems *problemsError
	switch {
	case errors.As(err, &usage):
		return errorKindUsage
	case errors.As(err, &problems):
		return errorKindProblems
	case errors.Is(err, context.Canceled):
		return errorKindInterrupted
	}
	return errorKindFailed
}
