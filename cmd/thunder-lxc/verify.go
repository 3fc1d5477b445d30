package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

func init() { subcommands = append(subcommands, newVerifyCmd) }

func newVerifyCmd() *cobra.Command {
	var opts verify.Options
	var out jsonFlag
	cmd := &cobra.Command{
		Use:   "verify --target DIR [CALLSIGN...]",
		Short: "Explain everything that would stop a plugin's container from starting on the device",
		Long: `verify reads the target root filesystem the way Thunder and LXC will on the
device and explains, one line each with the file and the fix, everything that
would stop a plugin's container from starting: on the device such a container
fails silently (LXC skips a config it cannot parse, Thunder says "container not
found").

Without CALLSIGN it checks every plugin whose mode is "Container", and every
plugin that has a container where Thunder looks for one (a plugin whose mode
went back to "Local" is flagged: its container is never started). It looks at:
where Thunder finds the container, the config's keys (legacy and unknown ones,
also in included files), lxc.rootfs.path and lxc.include paths, lxc.seccomp.*
against the target's liblxc, ThunderPlugin/WPEProcess on the container's PATH,
the volatile path's bind mount, every other mount entry (a bind source missing
in the target, a mount point missing in the rootfs without create=dir, a share
inside the container folder, an absolute mount point LXC ignores) with a note
explaining who in the container may use each shared folder, lxc.arch against
the rootfs, rootfs owners against lxc.idmap, /etc/subuid and /etc/subgid
grants, lxc.environment, and with --kernel-config the kernel options the
config needs.

Exit status: 0 nothing would fail (notes may be printed), 1 something would
(or the target cannot be read), 2 bad usage.`,
		Example: `  # Every containerized plugin of the target (after provision OCDM --keep-id 1000
  # --share /var/log/TestLogging:TestLogging), then OCDM against the kernel's config,
  # the report kept for CI.
  thunder-lxc verify --target output/target
  thunder-lxc verify --target output/target OCDM --kernel-config output/build/linux-custom/.config --json > verify.json`,
		Args:              usageArgs(cobra.ArbitraryArgs),
		ValidArgsFunction: completeCallsigns,
		// --target is checked here rather than with MarkFlagRequired, whose
		// error cobra raises before any hook and so would exit 1, not 2.
		PreRunE: func(*cobra.Command, []string) error {
			if opts.Target == "" {
				return &usageError{errors.New("--target: give the folder holding the device's root filesystem")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Callsigns = args
			report, err := verify.Run(opts)
			if err != nil {
				return err
			}
			out.print(cmd, report, report.WriteText)
			if !report.OK {
				return &problemsError{fmt.Errorf("target %q: %d problem(s) would stop a container from starting", opts.Target, report.Errors())}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Target, "target", "", "folder holding the device's root filesystem (required)")
	f.StringVar(&opts.Layout, "layout", "auto", "Thunder path layout: auto, thunder (R5+) or wpeframework (R4)")
	f.StringVar(&opts.KernelConfig, "kernel-config", "", "the device kernel's .config (or a kernel/Buildroot build folder) to check the options each container needs")
	out.add(cmd)
	return cmd
}
