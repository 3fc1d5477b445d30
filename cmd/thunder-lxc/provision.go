package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

func init() { subcommands = append(subcommands, newProvisionCmd) }

// provisionFlags are the provision command's flags, bound to a Request.
type provisionFlags struct {
	req provision.Request
	out outputFlags
	ids idFlags
}

func newProvisionCmd() *cobra.Command {
	var f provisionFlags
	cmd := &cobra.Command{
		Use:   "provision CALLSIGN... --target DIR [--rootfs SRC]",
		Short: "Put plugins into LXC containers inside a target root filesystem",
		Long: `provision does the Thunder LXC walkthrough in one command, inside the target
root filesystem DIR:

  - copies the source root filesystem into <datapath>/<ClassName>/Container/rootfs
  - writes the LXC config <datapath>/<ClassName>/Container/config (device paths)
  - comments out lxc.seccomp.profile in /usr/share/lxc/config/common.conf
  - sets configuration.root.mode to "Container" in the plugin's JSON config

SRC is a tarball (plain, gzip, xz, zstd, bzip2 or lz4, told by its first bytes),
a folder, or a stream: - for standard input, or a FIFO; without --rootfs the
target itself is copied, minus every container folder. Nothing is half-done: on any error the target is left as it was, and a
second identical run changes nothing.`,
		Example: `  # The Thunder LXC guide's OCDM on a Raspberry Pi 3 (32-bit) Buildroot target: what
  # would change, then the change; the container's rootfs is the target itself.
  thunder-lxc provision OCDM --target output/target --dry-run
  sudo thunder-lxc provision OCDM --target output/target

  # The rootfs from the build's tarball, user 1000 passed through the ID map and
  # the guide's shared folder /var/log/TestLogging at /TestLogging in the container.
  sudo thunder-lxc provision OCDM --target output/target --rootfs output/images/rootfs.tar.gz \
      --keep-id 1000 --share /var/log/TestLogging:TestLogging --arch linux32 --force`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New("no callsign: name the plugin callsign(s) to containerize, e.g. thunder-lxc provision OCDM --target DIR")}
			}
			return nil
		},
		ValidArgsFunction: completeCallsigns,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			f.req.Callsigns = args
			if err := f.ids.apply(cmd, &f.req); err != nil {
				return err
			}
			f.req.SetDefaults()
			if err := f.req.Validate(); err != nil {
				return &usageError{err}
			}
			return f.out.validate()
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			bar := f.out.progressDisplay(cmd, "unpacking rootfs")
			f.req.Progress, f.req.Stdin = bar.update, cmd.InOrStdin()
			plan, err := provision.BuildPlan(cmd.Context(), f.req)
			if err != nil {
				return err
			}
			report, err := provision.Apply(cmd.Context(), plan)
			bar.finish()
			if err != nil {
				return err
			}
			return f.out.print(cmd, report, report.WriteText)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&f.req.Target, "target", "", "folder holding the device's root filesystem (required)")
	flags.StringVar(&f.req.Source, "rootfs", "", "rootfs tarball, folder or stream (- for standard input, or a FIFO) to put in the container (default: the target itself, minus container folders)")
	addSharedFlags(cmd, &f.req, &f.ids)
	f.out.add(cmd)
	cmd.MarkFlagRequired("target")
	return cmd
}

// addSharedFlags adds the flags provision, image and apply share.
func addSharedFlags(cmd *cobra.Command, req *provision.Request, ids *idFlags) {
	flags := cmd.Flags()
	flags.StringVar(&req.Layout, "layout", "auto", "Thunder path layout: auto, thunder (R5+) or wpeframework (R4)")
	flags.StringVar(&req.Arch, "arch", "auto", "lxc.arch value; auto reads it from the rootfs's ELF files (linux32 or linux64)")
	flags.StringVar(&req.Hostname, "hostname", "", "container host name, lxc.uts.name (default: the callsign)")
	flags.StringArrayVar(&req.Env, "env", nil, "extra lxc.environment entry NAME (inherit) or NAME=VALUE (repeatable)")
	flags.StringVar(&req.Net, "net", "empty", "container network: empty (loopback only), none (the device's) or veth:BRIDGE")
	flags.StringVar(&req.ConsoleLog, "console-log", "", "device file where LXC writes the container's console output (lxc.console.logfile): the plugin's output under Thunder -f")
	ids.add(cmd, req)
	flags.StringArrayVar(&req.Shares, "share", nil, "share a device folder: HOST:CONTAINER[:ro|rw], e.g. /var/log/TestLogging:TestLogging (repeatable)")
	flags.StringVar(&req.ShareMode, "share-mode", "7770", "octal mode of share folders the tool creates")
	flags.StringVar(&req.Template, "template", "", "custom LXC config template file (Go text/template; default: the built-in one)")
	flags.StringVar(&req.Seccomp, "seccomp", lxc.SeccompComment, "lxc.seccomp.profile in common.conf: comment (the guide's), keep, or auto (comment only when the device's liblxc lacks libseccomp or --kernel-config lacks SECCOMP_FILTER)")
	flags.StringVar(&req.KernelConfig, "kernel-config", "", "the device kernel's .config (or config.gz, or Buildroot output folder), for --seccomp auto")
	flags.BoolVar(&req.Force, "force", false, "replace existing containers")
	flags.BoolVar(&req.DryRun, "dry-run", false, "print the plan and the diffs of edited files; write nothing")
}
