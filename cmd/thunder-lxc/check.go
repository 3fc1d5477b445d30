package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

func init() { subcommands = append(subcommands, newCheckCmd) }

func newCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check kernel|buildroot [FILE]",
		Short: "Check a kernel or Buildroot configuration for what the container needs",
		Long: `check kernel [FILE] reads a kernel .config, a gzip or xz compressed one, a
kernel or Buildroot build folder, or /proc/config.gz without FILE, and reports
every option LXC and the container need.

check buildroot [FILE] reads a Buildroot .config (./.config without FILE) and
reports the Thunder, LXC and libseccomp options, with the menuconfig entry of
each, then checks the kernel configuration the tree uses when it finds one.

Exit status: 0 all required options present, 1 one missing (or the file is
unreadable), 2 bad usage.`,
		Example: `  thunder-lxc check buildroot output/.config
  thunder-lxc check kernel output/build/linux-custom/.config`,
		Args: knownSubcommand,
		// A mistyped check ("kernal") gets the right one suggested.
		SuggestionsMinimumDistance: suggestionDistance,
		RunE: func(*cobra.Command, []string) error {
			return &usageError{errors.New("name the check: thunder-lxc check kernel [FILE] or thunder-lxc check buildroot [FILE]")}
		},
	}
	cmd.AddCommand(newCheckKernelCmd(), newCheckBuildrootCmd())
	return cmd
}

type checkKernelOptions struct {
	out     jsonFlag
	net     string
	noIDMap bool
	seccomp string
}

var netTypes = []string{"empty", "none", "veth", "macvlan", "vlan", "phys"}

func newCheckKernelCmd() *cobra.Command {
	var o checkKernelOptions
	cmd := &cobra.Command{
		Use:   "kernel [FILE]",
		Short: "Check a kernel configuration (default /proc/config.gz)",
		Example: `  # The Raspberry Pi 3 kernel a Buildroot build configured.
  thunder-lxc check kernel output/build/linux-custom/.config
  thunder-lxc check kernel output            # finds build/linux-*/.config
  thunder-lxc check kernel output --no-idmap --json > kernel.json`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		PreRunE: func(*cobra.Command, []string) error {
			if !slices.Contains(netTypes, o.net) {
				return &usageError{fmt.Errorf("--net %q: use one of %s", o.net, strings.Join(netTypes, ", "))}
			}
			if !slices.Contains(lxc.SeccompModes, o.seccomp) {
				return &usageError{fmt.Errorf("--seccomp %q: use %s", o.seccomp, strings.Join(lxc.SeccompModes, ", "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := lxc.ReadKernelConfig(path)
			if errors.Is(err, lxc.ErrNoKernelConfig) && path == "" {
				return fmt.Errorf("%w; name the config file instead: thunder-lxc check kernel FILE", err)
			}
			if err != nil {
				return err
			}
			needs := lxc.KernelNeeds{
				IDMap:   !o.noIDMap,
				Network: o.net,
				// auto keeps the profile line whenever liblxc can parse it,
				// so the kernel must then be able to load it.
				Seccomp: o.seccomp != lxc.SeccompComment,
			}
			report := lxc.NewKernelReport(cfg, needs)
			o.out.print(cmd, report, func(w io.Writer) {
				fmt.Fprintf(w, "kernel config %s (Linux %s)\n", report.Config, cfg.Version)
				printKernelFindings(w, "", report.Options)
			})
			return missingError("kernel config", report.Config, lxc.MissingRequired(report.Options), nil)
		},
	}
	f := cmd.Flags()
	o.out.add(cmd)
	f.StringVar(&o.net, "net", "empty", "the container's lxc.net.0.type: "+strings.Join(netTypes, ", "))
	cmd.RegisterFlagCompletionFunc("net", values(netTypes...))
	f.BoolVar(&o.noIDMap, "no-idmap", false, "the container has no lxc.idmap (USER_NS becomes optional)")
	f.StringVar(&o.seccomp, "seccomp", lxc.SeccompComment, "what happens to lxc.seccomp.profile: comment, keep or auto (keep and auto require SECCOMP_FILTER)")
	return cmd
}

func newCheckBuildrootCmd() *cobra.Command {
	var out jsonFlag
	cmd := &cobra.Command{
		Use:   "buildroot [FILE]",
		Short: "Check a Buildroot .config (default ./.config) and the kernel it builds",
		Example: `  # In the Buildroot output folder, then by name with a JSON report.
  cd output && thunder-lxc check buildroot
  thunder-lxc check buildroot output/.config --json > buildroot.json`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			report, err := thunder.CheckBuildroot(path)
			if path == "" && errors.Is(err, fs.ErrNotExist) {
				return noBuildrootConfigHere()
			}
			if err != nil {
				return err
			}
			out.print(cmd, report, func(w io.Writer) { printBuildrootReport(w, report) })
			var missing []lxc.KernelFinding
			if report.Kernel != nil {
				missing = lxc.MissingRequired(report.Kernel.Options)
			}
			var brMissing []string
			for _, f := range report.Options {
				if f.Required && !f.Present {
					brMissing = append(brMissing, f.Name)
				}
			}
			return missingError("buildroot config", report.Config, missing, brMissing)
		},
	}
	out.add(cmd)
	return cmd
}

// noBuildrootConfigHere says where check buildroot without FILE must run.
func noBuildrootConfigHere() error {
	here, err := os.Getwd()
	if err != nil {
		here = "."
	}
	return fmt.Errorf("no .config in the current folder %s: run check buildroot in a Buildroot output folder "+
		"(where make menuconfig writes .config: Buildroot's top folder, or the O= folder), or name the file: thunder-lxc check buildroot DIR/.config", here)
}

func mark(present bool) string {
	if present {
		return "✓"
	}
	return "✗"
}

func kind(required bool) string {
	if required {
		return "required"
	}
	return "optional"
}

func printKernelFindings(w io.Writer, indent string, findings []lxc.KernelFinding) {
	for _, f := range findings {
		fmt.Fprintf(w, "%s%s %s %-33s %s\n", indent, mark(f.Present), kind(f.Required), f.Name, f.Why)
	}
}

func printBuildrootReport(w io.Writer, r thunder.BuildrootReport) {
	family := r.Family
	if family == "" {
		family = "no Thunder package"
	}
	fmt.Fprintf(w, "buildroot config %s (%s)\n", r.Config, family)
	for _, f := range r.Options {
		fmt.Fprintf(w, "%s %s %-48s %s\n", mark(f.Present), kind(f.Required), f.Name, f.Why)
		if !f.Present {
			fmt.Fprintf(w, "    enable: %s\n", f.Menu)
		}
	}
	if r.Seccomp == lxc.SeccompKeep {
		fmt.Fprintln(w, "seccomp: liblxc has seccomp; lxc.seccomp.profile may stay (--seccomp keep or auto)")
	} else {
		fmt.Fprintln(w, "seccomp: liblxc has no seccomp; lxc.seccomp.profile must be commented (--seccomp comment or auto)")
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if r.Kernel != nil {
		fmt.Fprintf(w, "kernel config %s\n", r.Kernel.Config)
		printKernelFindings(w, "  ", r.Kernel.Options)
	}
}

// missingError is the exit-1 error naming what is missing; nil when nothing
// required is. (lxc-checkconfig exits 0 even then; a build script needs 1.)
func missingError(what, path string, kernel []lxc.KernelFinding, other []string) error {
	names := other
	for _, f := range kernel {
		names = append(names, f.Name)
	}
	if len(names) == 0 {
		return nil
	}
	return &problemsError{fmt.Errorf("%s %q: %d required option(s) missing: %s", what, path, len(names), strings.Join(names, ", "))}
}
