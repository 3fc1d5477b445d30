package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
)

// addImageFlags adds --image and -o, with which apply and remove change a
// rootfs tarball instead of a target folder, as image does.
func addImageFlags(cmd *cobra.Command, f *provision.ImageFiles) {
	flags := cmd.Flags()
	flags.StringVar(&f.In, "image", "", "rootfs tarball to change instead of a target folder, as an ordinary user (- for standard input); written to -o")
	flags.StringVarP(&f.Out, "output", "o", "", "output tarball of --image, - for standard output (may be IN); compressed as its name says, else as IN")
}

// checkImageFlags refuses --image with --target, --image without -o, and
// -o without --image; and --json when the image goes to standard output.
func checkImageFlags(cmd *cobra.Command, f *provision.ImageFiles, json, dryRun bool) error {
	flags := cmd.Flags()
	switch image := flags.Changed("image"); {
	case image && flags.Changed("target"):
		return &usageError{errors.New("give --target DIR or --image IN -o OUT, not both")}
	case image && f.Out == "":
		return &usageError{errors.New("--image needs -o OUT: the tarball to write the result to (it may be IN)")}
	case !image && flags.Changed("output"):
		return &usageError{errors.New("-o is where --image writes: give --image IN, or leave -o out")}
	case image && f.Out == "-" && json && !dryRun:
		return &usageError{errors.New("--json writes to standard output, which holds the image with -o -: give an output file, or leave --json out")}
	}
	return nil
}

// printImageReport prints a report; when the image went to standard
// output, its text goes to standard error.
func printImageReport(cmd *cobra.Command, j *jsonFlag, out string, dryRun bool, report any, text func(io.Writer)) error {
	if out == "-" && !dryRun {
		text(cmd.ErrOrStderr())
		return nil
	}
	return j.print(cmd, report, text)
}
