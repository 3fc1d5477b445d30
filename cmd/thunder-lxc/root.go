package main

import (
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
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown command is bad usage (exit 2), like an unknown flag.
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err}
	})
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd())
	}
	wordErrorsWithFlags(root)
	return root
}

// usageError marks a command-line mistake: exit status 2 instead of 1.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageArgs wraps a cobra argument check so its failure is a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
