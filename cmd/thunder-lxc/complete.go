package main

import (
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// flagCompletions complete a flag's value by the flag's name, the same on
// every command that has the flag: a new command gets them without a line
// of its own. A command whose flag of that name means something else
// registers its own function first (check kernel's --net).
var flagCompletions = map[string]cobra.CompletionFunc{
	"layout":   values(append([]string{"auto"}, thunder.LayoutNames()...)...),
	"seccomp":  values(lxc.SeccompModes...),
	"progress": values(progressModes...),
	"arch":     values(append([]string{"auto"}, lxc.ArchNames()...)...),
	"net":      values("empty", "none", "veth:lxcbr0"),
	"compress": values(compressFormats...),
	// Build-host folders and files.
	"target":        folders,
	"rootfs":        files,
	"template":      files,
	"kernel-config": files,
	"output":        files,
	"image":         files,
	"file":          files,
}

// completeFlagValues registers flagCompletions on every command under root.
func completeFlagValues(root *cobra.Command) {
	forEachCommand(root, func(c *cobra.Command) {
		for name, complete := range flagCompletions {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			if _, mine := c.GetFlagCompletionFunc(name); mine {
				continue
			}
			c.RegisterFlagCompletionFunc(name, complete)
		}
	})
}

// values completes one of a fixed list of words.
func values(words ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// files completes build-host file names (the shell's own completion).
func files(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

// folders completes build-host folder names only.
func folders(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// noArgs completes nothing: the command takes no (more) arguments.
func noArgs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeCallsigns completes the callsigns of the plugin configs in the
// --target given on the command line (with its --layout), leaving out those
// already typed. Without a readable target there is nothing to offer.
func completeCallsigns(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	target, _ := cmd.Flags().GetString("target")
	layout, _ := cmd.Flags().GetString("layout")
	if target == "" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	callsigns, _ := targetCallsigns(target, layout)
	callsigns = slices.DeleteFunc(callsigns, func(cs string) bool { return slices.Contains(args, cs) })
	return callsigns, cobra.ShellCompDirectiveNoFileComp
}

// targetCallsigns lists the callsigns of the plugin configs in target's
// plugin folders, sorted, each once.
func targetCallsigns(target, layout string) ([]string, error) {
	root, err := inroot.OpenTarget(target)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	l, err := thunder.ResolveLayout(root, layout)
	if err != nil {
		return nil, err
	}
	var callsigns []string
	for _, dir := range l.PluginDirs {
		names, err := thunder.PluginConfigFiles(root, dir)
		if err != nil {
			continue
		}
		for _, name := range names {
			data, err := inroot.ReadFile(root, path.Join(dir, name))
			if err != nil {
				continue
			}
			callsigns = append(callsigns, thunder.CallsignOf(data, name))
		}
	}
	slices.SortFunc(callsigns, strings.Compare)
	return slices.Compact(callsigns), nil
}
