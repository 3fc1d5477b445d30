package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
)

func init() { subcommands = append(subcommands, newRemoveCmd) }

// removeFlags are the remove command's flags, bound to a RemoveRequest.
type removeFlags struct {
	req   provision.RemoveRequest
	image provision.ImageFiles
	json  jsonFlag
}

func newRemoveCmd() *cobra.Command {
	var f removeFlags
	cmd := &cobra.Command{
		Use:   "remove CALLSIGN... --target DIR | --image IN -o OUT",
		Short: "Undo provision: plugin configs back as they were, containers gone",
		Long: `remove undoes provision for each callsign, inside the target root filesystem DIR:

  - writes the plugin's JSON config back byte for byte as it was before the
    first provision (when the file changed since, only its mode is set back)
  - deletes the container folder and every folder provision made for it that
    is left empty (a share folder holding files stays: its data is yours)
  - takes out the /etc/subuid and /etc/subgid lines provision added that no
    remaining container needs
  - makes lxc.seccomp.profile in common.conf active again once no container
    provisioned by thunder-lxc remains

A callsign without a container is nothing to do. Nothing is half-done: on any
error the target is left as it was. After provision and remove of every
container the target holds what it held before (contents, owners, modes).
With --image IN -o OUT the rootfs tarball IN is changed instead, as an
ordinary user, and the result written to OUT as image writes it.`,
		Example: `  # Undo the guide's OCDM: what would be removed and restored, then the removal.
  thunder-lxc remove OCDM --target output/target --dry-run
  sudo thunder-lxc remove OCDM --target output/target`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New("no callsign: name the plugin callsign(s) whose containers to remove, e.g. thunder-lxc remove OCDM --target DIR")}
			}
			return nil
		},
		PreRunE: func(cmd *cobra.Command, args []string) error {
			f.req.Callsigns = args
			if err := checkImageFlags(cmd, &f.image, f.json.on, f.req.DryRun); err != nil {
				return err
			}
			if f.image.In != "" {
				f.req.Image = &f.image
			}
			if err := f.req.Validate(); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.req.Stdin, f.image.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			plan, err := provision.BuildRemovePlan(cmd.Context(), f.req)
			if err != nil {
				return err
			}
			report, err := provision.ApplyRemove(cmd.Context(), plan)
			if err != nil {
				return err
			}
			return printImageReport(cmd, &f.json, f.image.Out, f.req.DryRun, report, report.WriteText)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&f.req.Target, "target", "", "folder holding the device's root filesystem (or give --image)")
	flags.StringVar(&f.req.Layout, "layout", "auto", "Thunder path layout: auto, thunder (R5+) or wpeframework (R4)")
	flags.BoolVar(&f.req.DryRun, "dry-run", false, "print what would be removed and the diffs of restored files; write nothing")
	addImageFlags(cmd, &f.image)
	f.json.add(cmd)
	return cmd
}
