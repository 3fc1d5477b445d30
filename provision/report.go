package provision

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// Report says what a run did (or, for a dry run, would do).
type Report struct {
	Target string `json:"target"`
	// Output is image's output tarball ("-": standard output).
	Output     string            `json:"output,omitempty"`
	DryRun     bool              `json:"dryRun"`
	Changed    bool              `json:"changed"`
	Layout     string            `json:"layout"`
	DataPath   string            `json:"datapath"`
	Source     Source            `json:"source"`
	Containers []ContainerReport `json:"containers"`
	Files      []FileReport      `json:"files"`
	// IDMap holds the lxc.idmap values; empty for a privileged container.
	IDMap []string `json:"idmap"`
	// ShiftedIDs tells whether the rootfs is owned by the mapped host IDs.
	ShiftedIDs bool     `json:"shiftedIDs"`
	Shares     []*Share `json:"shares"`
	Warnings   []string `json:"warnings"`
	Seconds    float64  `json:"seconds"`
}

// ContainerReport is one container's part of the report.
type ContainerReport struct {
	Callsign     string `json:"callsign"`
	ClassName    string `json:"classname"`
	PluginConfig string `json:"pluginConfig"`
	PreviousMode string `json:"previousMode"`
	// Dir is the device path of the container folder.
	Dir    string `json:"dir"`
	Action string `json:"action"`
	Arch   string `json:"arch"`
	// Config is the rendered LXC config.
	Config string         `json:"config"`
	Stats  *archive.Stats `json:"stats,omitempty"`
}

// FileReport is one edited file of the target.
type FileReport struct {
	Path    string `json:"path"`
	Changed bool   `json:"changed"`
	Why     string `json:"why"`
	// Diff is a unified diff of the edit (dry runs only).
	Diff string `json:"diff,omitempty"`
}

func newReport(p *Plan) *Report {
	r := &Report{
		Target:   p.target.Name(),
		DryRun:   p.Request.DryRun,
		Changed:  p.changes() && !p.Request.DryRun,
		Layout:   p.Layout.Name,
		DataPath: p.Layout.DataPath,
		Source:   p.Source,
		// Lists are [] rather than null in the JSON report, even when empty.
		Containers: []ContainerReport{},
		IDMap:      []string{},
		Shares:     append([]*Share{}, p.Shares...),
		Warnings:   append([]string{}, p.Warnings...),
		ShiftedIDs: p.shifts(),
	}
	if p.mapped {
		r.IDMap = p.idmap.Lines()
	}
	for _, c := range p.Containers {
		r.Containers = append(r.Containers, ContainerReport{
			Callsign: c.Callsign, ClassName: c.ClassName, PluginConfig: c.PluginConfig,
			PreviousMode: c.PreviousMode.Mode, Dir: c.Dir, Action: c.Action,
			Arch: c.data.Arch, Config: string(c.Config),
		})
	}
	r.Files = fileReports(p.Edits, p.Request.DryRun)
	return r
}

// fileReports reports each edited file, with its diff on a dry run.
func fileReports(edits []*Edit, dryRun bool) []FileReport {
	files := []FileReport{}
	for _, e := range edits {
		f := FileReport{Path: e.Path, Changed: e.Changed(), Why: e.Why}
		if dryRun && f.Changed {
			f.Diff = unifiedDiff(e.Path, e.Old, e.New)
		}
		files = append(files, f)
	}
	return files
}

// writeTargetLine names what a run changed: the target folder, or the
// input and output of an image run.
func writeTargetLine(w io.Writer, target, output, layout, dataPath string) {
	if output != "" {
		fmt.Fprintf(w, "Image %s → %s (layout %s, data path %s)\n", target, output, layout, dataPath)
	} else {
		fmt.Fprintf(w, "Target %s (layout %s, data path %s)\n", target, layout, dataPath)
	}
}

func (c *ContainerReport) setBuilt(p *ContainerPlan, stats archive.Stats) {
	c.Arch = p.data.Arch
	c.Config = string(p.Config)
	c.Stats = &stats
}

func (r *Report) finish(start time.Time) {
	r.Seconds = time.Since(start).Seconds()
}

// WriteText prints the human summary.
func (r *Report) WriteText(w io.Writer) {
	verb := map[string]string{ActionCreate: "created", ActionReplace: "replaced", ActionUnchanged: "unchanged"}
	if r.DryRun {
		verb = map[string]string{ActionCreate: "would create", ActionReplace: "would replace", ActionUnchanged: "unchanged"}
		fmt.Fprintf(w, "Dry run: nothing was written.\n")
	}
	writeTargetLine(w, r.Target, r.Output, r.Layout, r.DataPath)
	fmt.Fprintf(w, "Source: %s %s\n", r.Source.Kind, r.Source.Path)
	for _, c := range r.Containers {
		fmt.Fprintf(w, "  %s: container %s %s (class %s, lxc.arch %s)", c.Callsign, c.Dir, verb[c.Action], c.ClassName, c.Arch)
		if c.Stats != nil {
			fmt.Fprintf(w, ": %d files, %d folders, %d symlinks, %d hardlinks, %d devices, %.1f MiB",
				c.Stats.Files, c.Stats.Dirs, c.Stats.Symlinks, c.Stats.Hardlinks, c.Stats.Devices, float64(c.Stats.Bytes)/(1<<20))
		}
		fmt.Fprintln(w)
	}
	for _, s := range r.Shares {
		what := "shared"
		if s.Create {
			what = "created (owner " + fmt.Sprint(s.Owner.UID) + ":" + fmt.Sprint(s.Owner.GID) + ", mode " + s.Mode + ") and shared"
		}
		fmt.Fprintf(w, "  share %s → /%s %s:\n", s.Host, s.Container, what)
		for _, l := range s.Access.Lines {
			fmt.Fprintf(w, "    %s\n", l)
		}
		fmt.Fprintf(w, "    A unix socket in it, owned like the folder: at 0775 %s; at 0777 %s.\n",
			socketVerdict(s.Socket0775), socketVerdict(s.Socket0777))
	}
	for _, f := range r.Files {
		state := "unchanged"
		if f.Changed {
			state = "changed"
			if r.DryRun {
				state = "would change"
			}
		}
		fmt.Fprintf(w, "  %s %s: %s\n", f.Path, state, f.Why)
		if f.Diff != "" {
			fmt.Fprint(w, indent(f.Diff, "    "))
		}
	}
	if r.DryRun {
		for _, c := range r.Containers {
			if c.Action != ActionUnchanged {
				fmt.Fprintf(w, "  %s/config:\n%s", c.Dir, indent(c.Config, "    "))
			}
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
		fmt.Fprintf(w, "Nothing to change: the image is already provisioned; %s is a copy of it.\n", r.Output)
	case r.Output != "":
		fmt.Fprintln(w, "Nothing to change: the image is already provisioned.")
	default:
		fmt.Fprintln(w, "Nothing to change: the target is already provisioned.")
	}
}

// socketVerdict says briefly which container users may connect to a socket.
func socketVerdict(a lxc.AccessReport) string {
	if a.Other.Write {
		return "every container user can connect"
	}
	return "only its owner and group (and container root, when both are mapped) can connect; others need mode 0777"
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	if !strings.HasSuffix(s, "\n") && s != "" {
		b.WriteString("\n")
	}
	return b.String()
}
