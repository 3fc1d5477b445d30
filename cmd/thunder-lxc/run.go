package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision/lxcrun"
	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

func init() { subcommands = append(subcommands, newRunCmd) }

func newRunCmd() *cobra.Command {
	var opts lxcrun.Options
	var out jsonFlag
	cmd := &cobra.Command{
		Use:   "run CALLSIGN --target DIR [-- COMMAND...]",
		Short: "Start a plugin's container on the build host as Thunder would, and smoke-test it or run COMMAND in it",
		Long: `run starts the plugin's LXC container on the build host the way Thunder starts
it on the device, so it is seen to start before the image is flashed:

  - the container is the one Thunder takes: the first of <volatilepath>/CALLSIGN,
    <persistentpath>/CALLSIGN and <datapath>/<classname> holding one named
    Container;
  - its config is used exactly as written, by real LXC (lxc-execute), with the
    environment Thunder passes (PATH, MESSAGE_DISPATCHER_CONFIG; add or replace
    variables with --env);
  - the config's device paths are made real in a private mount namespace: the
    target's folders appear at their device paths, the volatile path and the
    communicator's folder are fresh tmpfs. Nothing on the build host changes,
    the target included: what the container writes is kept in memory and gone
    when run ends.

Without COMMAND it runs a smoke test with the rootfs's /bin/sh, reporting each
check: LXC started the container; the hosting process (ThunderPlugin, or
WPEProcess for WPEFramework) is on the container's PATH; container root can
write its rootfs; the volatile path and the communicator's folder are mounted;
and each shared folder is writable by exactly the container users the access
explanation of provision and verify predicts (root, its owner, its group,
anybody else). When LXC fails to start the container, its own error lines say
why.

A rootfs of another architecture (an armhf rootfs on an x86-64 host) runs
through the kernel's qemu-user binfmt_misc handler, which must be registered
with the F flag: on Debian, install qemu-user-static and binfmt-support.

run needs root. Exit status: 0 the smoke test passed (or COMMAND exited 0),
1 it did not, or the container could not be started, 2 bad usage. COMMAND's
output is its own: the report is printed only when LXC failed to start it
(on stderr), or with --json, which sends COMMAND's output to stderr and the
report to stdout.`,
		Example: `  # The guide's OCDM on a Raspberry Pi 3 rootfs (32-bit ARM: qemu-user runs it),
  # container uid 1000 kept, /var/log/TestLogging shared:
  sudo thunder-lxc provision OCDM --target output/target --keep-id 1000 --share /var/log/TestLogging:TestLogging
  sudo thunder-lxc run OCDM --target output/target
  sudo thunder-lxc run OCDM --target output/target -- /bin/sh -c 'uname -m; id; touch /TestLogging/x'
  sudo thunder-lxc run OCDM --target output/target --json > run.json`,
		// One callsign; what follows -- is a path inside the container,
		// which the build host's files say nothing about.
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeCallsigns(cmd, args, toComplete)
			}
			return noArgs(cmd, args, toComplete)
		},
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			switch {
			case len(args) == 0 || dash == 0:
				return errors.New("no callsign: name the plugin whose container to start, e.g. thunder-lxc run OCDM --target DIR")
			case dash < 0 && len(args) > 1, dash > 1:
				return fmt.Errorf("one callsign, then the command after --: thunder-lxc run %s --target DIR -- %s", args[0], strings.Join(args[1:], " "))
			case dash == 1 && len(args) == 1:
				return errors.New("nothing after --: give the command to run in the container, or leave out -- for the smoke test")
			}
			return nil
		}),
		PreRunE: func(*cobra.Command, []string) error {
			if opts.Target == "" {
				return &usageError{errors.New("--target: give the folder holding the device's root filesystem")}
			}
			for _, e := range opts.Env {
				if name, _, ok := strings.Cut(e, "="); !ok || name == "" {
					return &usageError{fmt.Errorf("--env %q: give NAME=VALUE", e)}
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Callsign, opts.Command = args[0], args[1:]
			opts.Stdin, opts.Stdout, opts.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if out.on {
				opts.Stdout = cmd.ErrOrStderr() // stdout is the report's
			}
			report, err := lxcrun.Run(cmd.Context(), opts)
			if err != nil {
				return runRemedy(err, opts.Callsign)
			}
			switch {
			case len(opts.Command) == 0 || out.on:
				out.print(cmd, report, report.WriteText)
			case !report.Started:
				// stdout is the command's: why LXC did not start it goes
				// to stderr.
				report.WriteText(cmd.ErrOrStderr())
			}
			if report.OK {
				return nil
			}
			return &problemsError{runFailure(report)}
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Target, "target", "", "folder holding the device's root filesystem (required)")
	f.StringVar(&opts.Layout, "layout", "auto", "Thunder path layout: auto, thunder (R5+) or wpeframework (R4)")
	f.StringArrayVar(&opts.Env, "env", nil, "NAME=VALUE added to the environment Thunder gives LXC (repeatable)")
	out.add(cmd)
	return cmd
}

// runRemedy adds what to do to the errors that stop run before LXC starts.
func runRemedy(err error, callsign string) error {
	switch {
	case errors.Is(err, thunder.ErrNoContainer):
		return fmt.Errorf("%w: provision it first (thunder-lxc provision %s --target DIR)", err, callsign)
	case errors.Is(err, lxcrun.ErrNeedsRoot), errors.Is(err, mountns.ErrNeedsRoot):
		return fmt.Errorf("%w: run it as root (sudo thunder-lxc run ...)", err)
	case errors.Is(err, lxcrun.ErrNoShell):
		return fmt.Errorf("%w: give a command to run instead (thunder-lxc run %s --target DIR -- COMMAND)", err, callsign)
	}
	return err
}

// runFailure is the one error line of a run whose report is not OK.
func runFailure(r *lxcrun.Report) error {
	switch {
	case !r.Started && len(r.LXCErrors) > 0:
		return fmt.Errorf("%s: LXC failed to start the container %s: %s", r.Callsign, r.Container, r.LXCErrors[0])
	case !r.Started:
		return fmt.Errorf("%s: LXC failed to start the container %s (lxc-execute exited with status %d)", r.Callsign, r.Container, r.ExitCode)
	case len(r.Command) > 0:
		return fmt.Errorf("%s: the command %s exited with status %d in the container", r.Callsign, r.Command[0], r.ExitCode)
	}
	return fmt.Errorf("%s: %d smoke test check(s) failed", r.Callsign, r.Failed())
}
