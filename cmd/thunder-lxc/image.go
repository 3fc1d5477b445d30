package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

func init() { subcommands = append(subcommands, newImageCmd) }

// compressFormats are the values of --compress: the formats written.
var compressFormats = []string{"tar", "gzip", "zstd", "xz", "lz4"}

// imageFlags are the image command's flags, bound to an ImageRequest.
type imageFlags struct {
	req      provision.ImageRequest
	compress string
	out      outputFlags
	ids      idFlags
}

func newImageCmd() *cobra.Command {
	var f imageFlags
	cmd := &cobra.Command{
		Use:   "image IN -o OUT CALLSIGN... [--rootfs SRC]",
		Short: "Put plugins into LXC containers inside a rootfs tarball, as an ordinary user",
		Long: `image does provision's job on a root filesystem tarball IN and writes the result
to the tarball OUT, without unpacking anything and without root: the container's
owners, devices, hardlinks, xattrs and capabilities are entries of OUT, written
as the image needs them.

OUT holds every entry of IN (the plugin configs, common.conf and subuid/subgid
edited as provision edits them), and for each callsign the container folder
<datapath>/<ClassName>/Container with its rootfs (IN itself minus container
folders, or --rootfs SRC: a tarball or folder), config and state, plus share
folders. IN may be "-" (standard input) and OUT "-" (standard output); OUT may
be IN (it is replaced once complete). OUT's compression comes from its name
(.tar, .tar.gz, .tar.zst, .tar.xz, .tar.lz4) or --compress.

The same input and flags give a byte-identical OUT. New and changed entries
get the time SOURCE_DATE_EPOCH gives when it is set (and copies are clamped
to it), else the newest time in IN.`,
		Example: `  # The guide's OCDM, user 1000 kept and /var/log/TestLogging shared, in the
  # Raspberry Pi 3 image tarball the build made; no root needed.
  thunder-lxc image output/images/rootfs.tar -o output/images/rootfs-lxc.tar.zst OCDM \
      --keep-id 1000 --share /var/log/TestLogging:TestLogging

  # Through pipes, compressed in and out.
  gzip -dc output/images/rootfs.tar.gz | thunder-lxc image - -o - OCDM | gzip > output/images/rootfs-lxc.tar.gz`,
		Args: func(_ *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return &usageError{errors.New("no input: give the rootfs tarball and the plugin callsign(s), e.g. thunder-lxc image rootfs.tar -o out.tar OCDM")}
			case 1:
				return &usageError{errors.New("no callsign: name the plugin callsign(s) to containerize after the input tarball, e.g. thunder-lxc image rootfs.tar -o out.tar OCDM")}
			}
			return nil
		},
		// IN is a build-host file; the callsigns are inside it.
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return files(cmd, args, toComplete)
			}
			return noArgs(cmd, args, toComplete)
		},
		PreRunE: func(cmd *cobra.Command, args []string) error {
			f.req.In, f.req.Callsigns = args[0], args[1:]
			f.req.Compress = archive.Format(f.compress)
			if err := f.ids.apply(cmd, &f.req.Request); err != nil {
				return err
			}
			if f.req.Out == "-" && f.out.on && !f.req.DryRun {
				return &usageError{errors.New("--json writes to standard output, which holds the image with -o -: give an output file, or leave --json out")}
			}
			f.req.Target = f.req.In
			f.req.SetDefaults()
			if err := f.req.Validate(); err != nil {
				return &usageError{err}
			}
			return f.out.validate()
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.req.Stdin, f.req.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			bar := f.out.progressDisplay(cmd, "writing image")
			f.req.Progress = bar.update
			plan, err := provision.BuildImagePlan(cmd.Context(), f.req)
			if err != nil {
				return err
			}
			report, err := provision.WriteImage(cmd.Context(), plan)
			bar.finish()
			if err != nil {
				return err
			}
			if f.req.Out == "-" && !f.req.DryRun {
				// Standard output holds the image: the summary goes to
				// standard error.
				report.WriteText(cmd.ErrOrStderr())
				return nil
			}
			return f.out.print(cmd, report, report.WriteText)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&f.req.Out, "output", "o", "", "output tarball, - for standard output (required; may be IN)")
	flags.StringVar(&f.req.Source, "rootfs", "", "rootfs tarball or folder to put in the container (default: IN itself, minus container folders)")
	flags.StringVar(&f.compress, "compress", "", "output compression: "+strings.Join(compressFormats, ", ")+" (default: from OUT's name, else IN's)")
	addSharedFlags(cmd, &f.req.Request, &f.ids)
	f.out.add(cmd)
	cmd.MarkFlagRequired("output")
	return cmd
}
