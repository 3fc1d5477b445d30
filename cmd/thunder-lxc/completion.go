package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newCompletionCmd) }

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script. Flag values complete (--layout, --seccomp,
--net, --progress, --arch), callsigns complete from the plugin configs of the
--target on the line, files and folders where a flag takes one. make install
puts the scripts where bash, zsh and fish look for them.`,
		Example: `  source <(thunder-lxc completion bash)
  mkdir -p ~/.config/fish/completions && thunder-lxc completion fish > ~/.config/fish/completions/thunder-lxc.fish`,
		Args:      usageArgs(cobra.ExactArgs(1)),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return &usageError{fmt.Errorf("unknown shell %q: use bash, zsh or fish", args[0])}
		},
	}
}
