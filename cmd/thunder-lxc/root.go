package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// subcommands is filled by the init function of each command's file, so a
// new command is one new file and nothing else to edit.
var subcommands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "thunder-lxc",
		Short: "Put Thunder (WPEFramework) plugins into LXC containers at image build time",
		Long: `thunder-lxc turns a Thunder (WPEFramework) plugin into an LXC-contained plugin
inside an embedded Linux root filesystem: it copies a root filesystem into the
plugin's container folder, writes the LXC config, makes common.conf loadable and
switches the plugin's mode to "Container".`,
		Example: `  # The Thunder LXC guide's OCDM in a container on a Raspberry Pi 3 target,
  # user 1000 kept and /var/log/TestLogging shared, then checked:
  sudo thunder-lxc provision OCDM --target output/target --keep-id 1000 --share /var/log/TestLogging:TestLogging
  thunder-lxc verify --target output/target OCDM`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          knownSubcommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// Without it cobra suggests only by prefix: "provisoin" got nothing.
		SuggestionsMinimumDistance: suggestionDistance,
		// --version as well as the version command: what a user tries first.
		Version: versionString(),
	}
	root.SetVersionTemplate(versionLine())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// In "verfy --target DIR" the flag is unknown only because the
		// command is: name the command, not the flag.
		if args := cmd.Flags().Args(); cmd.HasSubCommands() && len(args) > 0 {
			return knownSubcommand(cmd, args)
		}
		return &usageError{&badFlagsError{err}}
	})
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd())
	}
	wordErrorsWithFlags(root)
	completeFlagValues(root)
	return root
}

// execute runs one command line and returns its exit status; the outcome
// (report, error line) is written by printOutcome.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	var o outcome
	cmd, err := root.ExecuteContextC(withOutcome(ctx, &o))
	return exitCode(printOutcome(cmd, args, &o, err, stdout, stderr))
}

// exitCode maps an error to the documented exit status: 2 bad usage, 1 the rest.
func exitCode(err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	}
	return 1
}

// usageError marks a command-line mistake: exit status 2 instead of 1.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// badFlagsError is a usage error of flags that could not be parsed:
// parsing stopped there, so flags after it (--json too) were never read.
type badFlagsError struct{ err error }

func (e *badFlagsError) Error() string { return e.err.Error() }
func (e *badFlagsError) Unwrap() error { return e.err }

// problemsError marks a command that did its job and found something
// wrong, which its report lists: exit status 1.
type problemsError struct{ err error }

func (e *problemsError) Error() string { return e.err.Error() }
func (e *problemsError) Unwrap() error { return e.err }

// usageArgs wraps a cobra argument check so its failure is a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// suggestionDistance is the most edits a mistyped command may be from the
// one suggested: two catches a swapped pair of letters ("provisoin").
const suggestionDistance = 2

// knownSubcommand is the argument check of a command that only groups
// subcommands: an argument is a mistyped subcommand, and cobra's
// suggestions (by edit distance and prefix) name the one meant.
func knownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	err := fmt.Errorf("unknown command %q: see %s --help", args[0], cmd.CommandPath())
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		err = fmt.Errorf("unknown command %q: did you mean %s?", args[0],
			strings.Join(quoteEach(suggestions), " or "))
	}
	return &usageError{err}
}

func quoteEach(words []string) []string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	return quoted
}
