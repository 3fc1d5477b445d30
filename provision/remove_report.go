package provision

import (
	"fmt"
	"io"
)

// RemoveReport says what a remove did (or, for a dry run, would do).
type RemoveReport struct {
	Target string `json:"target"`
	// Output is the output tarball of a remove on an image ("-": standard
	// output).
	Output     string             `json:"output,omitempty"`
	DryRun     bool               `json:"dryRun"`
	Changed    bool               `json:"changed"`
	Layout     string             `json:"layout"`
	DataPath   string             `json:"datapath"`
	Containers []RemovedContainer `json:"containers"`
	// Gone are the device paths taken away, each with all below it.
	Gone []string `json:"gone"`
	// Kept are what was made for the removed containers and stays.
	Kept     []KeptPath   `json:"kept"`
	Files    []FileReport `json:"files"`
	Warnings []string     `json:"warnings"`
	Seconds  float64      `json:"seconds"`
}

func newRemoveReport(rp *RemovePlan) *RemoveReport {
	r := &RemoveReport{
		Target: rp.target.Name(), DryRun: rp.Request.DryRun, Changed: rp.changes() && !rp.Request.DryRun,
		Layout: rp.Layout.Name, DataPath: rp.Layout.DataPath,
		Containers: []RemovedContainer{}, Gone: append([]string{}, rp.Gone...),
		Kept: append([]KeptPath{}, rp.Kept...), Warnings: append([]string{}, rp.Warnings...),
	}
	if rp.image != nil {
		r.Output = rp.image.out
	}
	for _, c := range rp.Containers {
		r.Containers = append(r.Containers, *c)
	}
	r.Files = fileReports(rp.Edits, rp.Request.DryRun)
	return r
}

// WriteText prints the human summary.
func (r *RemoveReport) WriteText(w io.Writer) {
	would := ""
	if r.DryRun {
		would = "would be "
		fmt.Fprintf(w, "Dry run: nothing was written.\n")
	}
	writeTargetLine(w, r.Target, r.Output, r.Layout, r.DataPath)
	for _, c := range r.Containers {
		if c.Action == ActionAbsent {
			fmt.Fprintf(w, "  %s: no container in %s, nothing to remove\n", c.Callsign, c.Dir)
			continue
		}
		how := "byte for byte as before thunder-lxc"
		if c.Restored == "mode" {
			how = "its mode set back"
		}
		fmt.Fprintf(w, "  %s: container %s %sremoved; %s %srestored (%s, mode %s)\n", c.Callsign, c.Dir, would, c.PluginConfig, would, how, c.Mode)
	}
	for _, g := range r.Gone {
		fmt.Fprintf(w, "  %s %sdeleted\n", g, would)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(w, "  %s kept: %s\n", k.Path, k.Why)
	}
	for _, f := range r.Files {
		if !f.Changed {
			continue
		}
		fmt.Fprintf(w, "  %s %schanged: %s\n", f.Path, would, f.Why)
		if f.Diff != "" {
			fmt.Fprint(w, indent(f.Diff, "    "))
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	switch {
	case r.DryRun:
	case r.Changed:
		fmt.Fprintf(w, "Done in %.2fs.\n", r.Seconds)
	case r.Output != "" && r.Output != r.Target:
		fmt.Fprintf(w, "Nothing to remove; %s is a copy of %s.\n", r.Output, r.Target)
	default:
		fmt.Fprintln(w, "Nothing to remove.")
	}
}
