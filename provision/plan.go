package provision

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// Container actions.
const (
	ActionCreate    = "create"
	ActionReplace   = "replace"
	ActionUnchanged = "unchanged"
)

// archPending stands for an lxc.arch read from the rootfs after unpacking
// (a tarball source can only be looked into by reading it).
const archPending = "auto"

// Plan is everything a run will do, worked out by reading only. It is what
// --dry-run prints and what Apply carries out.
type Plan struct {
	Request    Request
	Layout     thunder.Layout
	Source     Source
	Containers []*ContainerPlan
	// Edits are the target's files to change, in the order they are written.
	Edits    []*Edit
	Shares   []*Share
	Warnings []string

	runTarget
	// sourceFS reads the source's rootfs before it is copied: a folder, or
	// a tarball's index; nil when a tarball is only read while unpacking.
	sourceFS inroot.FS
	// image is set when the plan is image's, made against a tarball.
	image    *ImagePlan
	template *lxc.Template
	// grantsAdded are the lines this run adds to each subuid/subgid file
	// (device path).
	grantsAdded map[string][]string
	idmap       lxc.IDMap
	mapped      bool
	// leftovers are what runs that did not end left (local paths).
	leftovers []string
	// processes is what Thunder's main config tells the processes it
	// starts: the folders they share with it, the messaging folder.
	processes thunder.Processes
}

// ContainerPlan is one plugin's container.
type ContainerPlan struct {
	Callsign  string
	ClassName string
	// PluginConfig is the device path of the plugin's JSON config.
	PluginConfig string
	// PreviousMode is the mode to restore on remove.
	PreviousMode thunder.ModeState
	// Dir is the device path of the container folder <datapath>/<class>/Container.
	Dir    string
	Action string
	// Config is the rendered LXC config; its lxc.arch is "auto" until the
	// rootfs is unpacked when the arch is read from a tarball's files.
	Config []byte

	data    lxc.ConfigData
	shaping Shaping
	// state is what an earlier run recorded in the container folder.
	state    State
	hasState bool
	records  containerRecords
}

// Edit is one file of the target that changes.
type Edit struct {
	// Path is the device path.
	Path string
	Why  string
	Old  []byte
	New  []byte
	// missing tells that the file does not exist yet: undo removes it.
	missing bool
}

// Changed tells whether the edit changes anything.
func (e *Edit) Changed() bool { return !bytes.Equal(e.Old, e.New) }

// Close releases the target; Apply does not need it called first.
func (p *Plan) Close() error { return closeAll(&p.closers) }

// BuildPlan reads the target and the source and works out the plan. It
// writes nothing. Every refusal (invalid plugin JSON, existing container)
// happens here, before anything is written.
func BuildPlan(ctx context.Context, req Request) (*Plan, error) {
	req.SetDefaults()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	t, err := openRunTarget(ctx, req.Target, req.DryRun)
	if err != nil {
		return nil, err
	}
	p := &Plan{Request: req, runTarget: t}
	if err := p.build(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Plan) build(ctx context.Context) error {
	req := p.Request
	var err error
	if p.template, err = loadTemplate(req.Template); err != nil {
		return err
	}
	if p.Layout, err = thunder.ResolveLayout(p.target, req.Layout); err != nil {
		return err
	}
	if p.processes, err = thunder.ReadProcesses(p.target, p.Layout); err != nil {
		return err
	}
	if err := p.recoverContainers(); err != nil {
		return err
	}
	classes := map[string]string{}
	for _, cs := range req.Callsigns {
		c, edit, err := p.planPlugin(cs)
		if err != nil {
			return err
		}
		if other, dup := classes[c.ClassName]; dup {
			return fmt.Errorf("callsigns %s and %s share the classname %s and so one container folder %s: provision one of them",
				other, cs, c.ClassName, c.Dir)
		}
		classes[c.ClassName] = cs
		p.Containers = append(p.Containers, c)
		p.Edits = append(p.Edits, edit)
	}
	if err := p.planCommonConf(); err != nil {
		return err
	}
	if p.idmap, p.mapped, err = req.idmapFor(); err != nil {
		return err
	}
	if p.mapped {
		if err := p.planSubIDGrants(p.idmap); err != nil {
			return err
		}
	}
	if err := p.planMessaging(); err != nil {
		return err
	}
	if err := p.planShares(p.idmap, p.mapped); err != nil {
		return err
	}
	if err := p.warnTraversal(); err != nil {
		return err
	}
	p.warnConsoleLog()
	earlier := p.madeEarlier()
	unstable := maps.Clone(earlier)
	for _, e := range p.Edits {
		if rel, err := inroot.Resolve(p.target, e.Path, true); err == nil {
			unstable[rel] = true
		}
	}
	if err := p.openSource(ctx, unstable); err != nil {
		return err
	}
	for _, c := range p.Containers {
		if err := p.planContainer(c); err != nil {
			return err
		}
	}
	p.findLeftovers()
	if err := p.checkEdits(); err != nil {
		return err
	}
	return p.planRecords()
}

// madeEarlier is what earlier runs made outside the container folders of
// this run's plugins (local paths).
func (p *Plan) madeEarlier() map[string]bool {
	made := map[string]bool{}
	for _, c := range p.Containers {
		for _, m := range c.state.Made {
			made[strings.TrimPrefix(path.Clean(m), "/")] = true
		}
	}
	return made
}

// planPlugin finds the plugin's config and plans its mode edit.
func (p *Plan) planPlugin(callsign string) (*ContainerPlan, *Edit, error) {
	plugin, err := thunder.FindPlugin(p.target, p.Layout, callsign)
	if err != nil {
		return nil, nil, err
	}
	where := inroot.Describe(p.target, plugin.Path)
	mode, err := thunder.ReadMode(plugin.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("plugin config %s: %w: fix the file", where, err)
	}
	updated, err := thunder.SetMode(plugin.Data, thunder.ModeContainer)
	if err != nil {
		return nil, nil, fmt.Errorf("plugin config %s: %w", where, err)
	}
	c := &ContainerPlan{
		Callsign:     callsign,
		ClassName:    plugin.ClassName,
		PluginConfig: plugin.Path,
		PreviousMode: mode,
		Dir:          devicePath(p.Layout.DataPath, plugin.ClassName, "Container"),
	}
	c.state, c.hasState = readState(p.target, c.Dir)
	why := fmt.Sprintf("%s: configuration.root.mode %s → Container", callsign, mode.Mode)
	if mode.Mode == thunder.ModeContainer {
		why = callsign + ": already in Container mode"
	}
	edit := &Edit{Path: plugin.Path, Why: why, Old: plugin.Data, New: updated}
	return c, edit, nil
}

// planCommonConf plans the seccomp edit of the target's common.conf and
// of every file it (or userns.conf) includes that sets the profile.
func (p *Plan) planCommonConf() error {
	if p.Request.Seccomp == lxc.SeccompKeep {
		return nil
	}
	data, err := inroot.ReadFile(p.target, lxc.CommonConfPath)
	if os.IsNotExist(err) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("target has no %s: the container config includes it, so LXC must be installed in the image", lxc.CommonConfPath))
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", inroot.Describe(p.target, lxc.CommonConfPath), err)
	}
	comment, why, err := p.seccompDecision()
	if err != nil || !comment {
		if why != "" {
			p.Warnings = append(p.Warnings, why)
		}
		return err
	}
	seccomp, err := lxc.PlanSeccompComment(p.target, lxc.Includes(!p.Request.NoIDMap))
	if err != nil {
		return err
	}
	for _, pr := range seccomp.Problems {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s: %s", pr.File, pr.Message, pr.Fix))
	}
	common := &Edit{Path: lxc.CommonConfPath, Why: why, Old: data, New: data}
	p.Edits = append(p.Edits, common)
	for _, e := range seccomp.Edits {
		if e.Path == lxc.CommonConfPath {
			common.New = e.New
			continue
		}
		p.Edits = append(p.Edits, &Edit{Path: e.Path, Why: fmt.Sprintf("%s, in %s, which LXC reads with it", why, e.Path), Old: e.Old, New: e.New})
	}
	return nil
}

// planContainer renders the config and decides create, replace or nothing.
func (p *Plan) planContainer(c *ContainerPlan) error {
	req := p.Request
	state, hasState := c.state, c.hasState
	if hasState && c.PreviousMode.Mode == thunder.ModeContainer {
		// Provisioned before: the mode to restore is the one from before.
		c.PreviousMode = state.PreviousMode
	}
	// Everything that shapes the rootfs: the source, the owners it is
	// stored with, and the share mount points made in it.
	c.shaping = Shaping{Source: p.Source.Fingerprint, ShiftedIDs: p.shifts(), IDMap: []string{}, MountPoints: []string{}}
	if p.shifts() {
		c.shaping.IDMap = p.idmap.Lines()
	}
	for _, s := range p.Shares {
		c.shaping.MountPoints = append(c.shaping.MountPoints, s.Container)
	}
	sameRootfs := hasState && state.Fingerprint == c.shaping.fingerprint()
	arch := req.Arch
	if arch == "auto" {
		switch {
		case sameRootfs && state.Arch != "":
			arch = state.Arch
		case p.sourceFS != nil:
			detected, err := detectArch(renamed{p.sourceFS, p.Source.Path})
			if err != nil {
				return err
			}
			arch = detected
		default:
			arch = archPending
		}
	}
	hostname := req.Hostname
	if hostname == "" {
		hostname = c.Callsign
	}
	net, _ := lxc.NetworkLines(req.Net)
	c.data = lxc.ConfigData{
		Callsign:    c.Callsign,
		Hostname:    hostname,
		Arch:        arch,
		RootfsPath:  path.Join(c.Dir, "rootfs"),
		Includes:    lxc.Includes(!req.NoIDMap),
		Mounts:      p.mountEntries(),
		Environment: append(append([]string{}, defaultEnv...), req.Env...),
		Network:     net,
		ConsoleLog:  req.ConsoleLog,
	}
	if p.mapped {
		c.data.IDMap = p.idmap.Lines()
	}
	var err error
	if c.Config, err = p.template.Render(c.data); err != nil {
		return err
	}
	there, err := exists(p.target, c.Dir)
	if err != nil {
		return err
	}
	var changed []string
	if hasState {
		if !sameRootfs {
			changed = c.shaping.differences(state.Shaping, p.Source.Kind)
		}
		if line := p.configChange(c); line != "" {
			changed = append(changed, line)
		}
	}
	switch {
	case !there:
		c.Action = ActionCreate
	case hasState && len(changed) == 0:
		c.Action = ActionUnchanged
	case req.Force:
		c.Action = ActionReplace
	case hasState:
		return &FieldError{Field: "force", Err: &ContainerExistsError{Dir: inroot.Describe(p.target, c.Dir), Changed: changed}}
	default:
		return &FieldError{Field: "force", Err: &ContainerExistsError{Dir: inroot.Describe(p.target, c.Dir)}}
	}
	return nil
}

// ContainerExistsError is why a container is not replaced without force:
// it was made by hand, or by an earlier run with other inputs (Changed
// says which).
type ContainerExistsError struct {
	Dir     string
	Changed []string
}

func (e *ContainerExistsError) Error() string {
	if len(e.Changed) == 0 {
		return fmt.Sprintf("needed to replace container %s, which thunder-lxc did not make", e.Dir)
	}
	return fmt.Sprintf("needed to replace container %s, which exists from an earlier run; since then %s",
		e.Dir, strings.Join(e.Changed, "; "))
}

// configChange names the first line where the container's config on disk
// differs from the one this run renders, or "" when they are equal.
func (p *Plan) configChange(c *ContainerPlan) string {
	data, err := inroot.ReadFile(p.target, path.Join(c.Dir, "config"))
	if err != nil {
		return "its config cannot be read (" + err.Error() + ")"
	}
	if bytes.Equal(data, c.Config) {
		return ""
	}
	old, updated := strings.Split(string(data), "\n"), strings.Split(string(c.Config), "\n")
	for i := 0; i < len(old) || i < len(updated); i++ {
		var o, n string
		if i < len(old) {
			o = old[i]
		}
		if i < len(updated) {
			n = updated[i]
		}
		if o != n {
			return fmt.Sprintf("its config differs at line %d (%q on disk, %q now: another option, or a hand edit)", i+1, o, n)
		}
	}
	return "its config differs"
}

// shifts tells whether the rootfs is stored with shifted owners.
func (p *Plan) shifts() bool { return p.mapped && !p.Request.NoShiftIDs }

// mountEntries are the folders Thunder shares with the hosting process,
// each bind-mounted at its own path (the guide's /tmp mount, and more when
// the volatile path is elsewhere: thunder.Processes.SharedFolders), then
// the shares. A folder is mounted after the folders above it, which would
// otherwise cover it.
func (p *Plan) mountEntries() []string {
	folders := slices.Clone(p.processes.SharedFolders())
	slices.SortStableFunc(folders, func(a, b string) int { return strings.Count(a, "/") - strings.Count(b, "/") })
	var entries []string
	for _, dir := range folders {
		entries = append(entries, fmt.Sprintf("%s %s none bind,create=dir 0 0", dir, strings.TrimPrefix(dir, "/")))
	}
	for _, s := range p.Shares {
		entries = append(entries, s.MountEntry())
	}
	return entries
}

// loadTemplate reads a custom template from the build host, or the default.
func loadTemplate(file string) (*lxc.Template, error) {
	if file == "" {
		return lxc.DefaultTemplate()
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, &FieldError{Field: "template", Value: file, Err: err}
	}
	return lxc.ParseTemplate(file, string(text))
}
