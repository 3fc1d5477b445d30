package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/applyfile"
)

func init() { subcommands = append(subcommands, newApplyCmd) }

// applyFlags are the apply command's flags. The shared flags are bound to
// a request of their own, read only for the flags given: they override
// the file.
type applyFlags struct {
	file  string
	flags provision.Request
	ids   idFlags
	out   outputFlags
	image provision.ImageFiles
	batch provision.BatchRequest
}

func newApplyCmd() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--target DIR | --image IN -o OUT]",
		Short: "Provision (and remove) the containers a YAML file declares, in one run",
		Long: `apply does what a file under version control declares, in one run on one target:
provision for each entry of its containers: list, remove for each callsign of
its remove: list. The keys are provision's flag names without the dashes; at the
top level they are the defaults of every container, in an entry they override
them for that container, and flags given on the command line override the file.
Paths in the file are relative to the file's folder.

Every mistake in the file is reported at once, named by its place in the file
(containers[1].keep-id[0]), with exit status 2, and nothing is written.
Containers that ask for the same options are provisioned together, the source
read once for them; a stream source (- or a FIFO) is read once for the whole
file. Nothing is half-done: on any error the target is left as it was.
With --image IN -o OUT the file is applied to the rootfs tarball IN instead,
as an ordinary user, and the result written to OUT as image writes it.
See docs/apply.md for a commented example.`,
		Example: `  # containers.yaml declares the guide's OCDM (user 1000 kept, the TestLogging share)
  # in output/target, its rootfs output/images/rootfs.tar.gz: what would change, then
  # the change.
  thunder-lxc apply -f containers.yaml --dry-run
  sudo thunder-lxc apply -f containers.yaml
  # The rootfs read from a stream, once for all the containers.
  gzip -dc output/images/rootfs.tar.gz | sudo thunder-lxc apply -f containers.yaml --rootfs - --force`,
		Args: usageArgs(cobra.NoArgs),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.out.validate(); err != nil {
				return err
			}
			cli, err := cliSettings(cmd)
			if err != nil {
				return err
			}
			if err := checkImageFlags(cmd, &f.image, f.out.on, f.flags.DryRun); err != nil {
				return err
			}
			if f.image.In != "" { // the image stands for the file's target
				cli["target"] = applyfile.Value{V: f.image.In, Where: "--image"}
			}
			file, err := applyfile.Read(f.file)
			if err != nil {
				return &usageError{err}
			}
			reqs, remove, err := file.Requests(cli)
			if err != nil {
				return &usageError{err}
			}
			f.batch = provision.BatchRequest{Requests: reqs, Remove: remove, DryRun: f.flags.DryRun}
			if len(reqs) > 0 {
				f.batch.Target = reqs[0].Target
			} else if t, ok := file.Defaults["target"]; ok {
				f.batch.Target = t.V.(string)
			}
			if v, ok := cli["target"]; ok {
				f.batch.Target = v.V.(string)
			}
			if f.image.In != "" {
				f.batch.Image = &f.image
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			bar := f.out.progressDisplay(cmd, "unpacking rootfs")
			for i := range f.batch.Requests {
				f.batch.Requests[i].Progress = bar.update
			}
			f.batch.Stdin, f.image.Stdout = cmd.InOrStdin(), cmd.OutOrStdout()
			plan, err := provision.BuildBatchPlan(cmd.Context(), f.batch)
			if err != nil {
				return err
			}
			report, err := provision.ApplyBatch(cmd.Context(), plan)
			bar.finish()
			if err != nil {
				return err
			}
			return printImageReport(cmd, &f.out.jsonFlag, f.image.Out, f.flags.DryRun, report, report.WriteText)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&f.file, "file", "f", "", "the apply file (YAML) declaring the containers (required)")
	flags.StringVar(&f.flags.Target, "target", "", "folder holding the device's root filesystem (overrides the file's target)")
	addImageFlags(cmd, &f.image)
	flags.StringVar(&f.flags.Source, "rootfs", "", "rootfs tarball, folder or stream (- for standard input, or a FIFO) for every container (overrides the file)")
	addSharedFlags(cmd, &f.flags, &f.ids)
	f.out.add(cmd)
	cmd.MarkFlagRequired("file")
	return cmd
}

// cliSettings are the apply-file keys given as flags, which override the
// file's values.
func cliSettings(cmd *cobra.Command) (applyfile.Settings, error) {
	flags := cmd.Flags()
	s := applyfile.Settings{}
	for _, name := range applyfile.Keys() {
		fl := flags.Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		var v any
		switch fl.Value.Type() {
		case "int":
			v, _ = flags.GetInt(name)
		case "bool":
			v, _ = flags.GetBool(name)
		case "intSlice":
			v, _ = flags.GetIntSlice(name)
		case "stringArray":
			v, _ = flags.GetStringArray(name)
		default:
			v = fl.Value.String()
		}
		s[name] = applyfile.Value{V: v, Where: "--" + name}
	}
	if flags.Changed("no-shift-ids") {
		if flags.Changed("shift-ids") {
			return nil, &usageError{errors.New("give --shift-ids or --no-shift-ids, not both")}
		}
		noShift, _ := flags.GetBool("no-shift-ids")
		s["shift-ids"] = applyfile.Value{V: !noShift, Where: "--no-shift-ids"}
	}
	return s, nil
}
