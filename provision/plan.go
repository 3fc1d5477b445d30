package provision

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
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

	root     *os.Root
	template *lxc.Template
	idmap    lxc.IDMap
	mapped   bool
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

	data        lxc.ConfigData
	fingerprint string
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
func (p *Plan) Close() error { return p.root.Close() }

// BuildPlan reads the target and the source and works out the plan. It
// writes nothing. Every refusal (invalid plugin JSON, existing container)
// happens here, before anything is written.
func BuildPlan(ctx context.Context, req Request) (*Plan, error) {
	req.SetDefaults()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	root, err := inroot.OpenTarget(req.Target)
	if err != nil {
		return nil, err
	}
	p := &Plan{Request: req, root: root}
	if err := p.build(ctx); err != nil {
		root.Close()
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
	if p.Layout, err = thunder.ResolveLayout(p.root, req.Layout); err != nil {
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
	if err := p.planShares(p.idmap, p.mapped); err != nil {
		return err
	}
	edited := map[string]bool{}
	for _, e := range p.Edits {
		if rel, err := inroot.Resolve(p.root, e.Path, true); err == nil {
			edited[rel] = true
		}
	}
	if p.Source, err = openSource(ctx, req.Source, p.root.Name(), p.Layout.DataPath, edited); err != nil {
		return err
	}
	for _, c := range p.Containers {
		if err := p.planContainer(c); err != nil {
			return err
		}
	}
	return nil
}

// planPlugin finds the plugin's config and plans its mode edit.
func (p *Plan) planPlugin(callsign string) (*ContainerPlan, *Edit, error) {
	plugin, err := thunder.FindPlugin(p.root, p.Layout, callsign)
	if err != nil {
		return nil, nil, err
	}
	where := inroot.Describe(p.root, plugin.Path)
	mode, err := thunder.ReadMode(plugin.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("plugin config %s: %w: fix the file, nothing was changed", where, err)
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
	why := fmt.Sprintf("%s: configuration.root.mode %s → Container", callsign, mode.Mode)
	if mode.Mode == thunder.ModeContainer {
		why = callsign + ": already in Container mode"
	}
	edit := &Edit{Path: plugin.Path, Why: why, Old: plugin.Data, New: updated}
	return c, edit, nil
}

// planCommonConf plans the seccomp edit of the target's common.conf.
func (p *Plan) planCommonConf() error {
	if p.Request.Seccomp == lxc.SeccompKeep {
		return nil
	}
	data, err := inroot.ReadFile(p.root, lxc.CommonConfPath)
	if os.IsNotExist(err) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("target has no %s: the container config includes it, so LXC must be installed in the image", lxc.CommonConfPath))
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", inroot.Describe(p.root, lxc.CommonConfPath), err)
	}
	comment, why, err := p.seccompDecision()
	if err != nil || !comment {
		if why != "" {
			p.Warnings = append(p.Warnings, why)
		}
		return err
	}
	updated, _ := lxc.CommentSeccomp(data)
	p.Edits = append(p.Edits, &Edit{Path: lxc.CommonConfPath, Why: why, Old: data, New: updated})
	return nil
}

// planContainer renders the config and decides create, replace or nothing.
func (p *Plan) planContainer(c *ContainerPlan) error {
	req := p.Request
	state, hasState := readState(p.root, c.Dir)
	if hasState && c.PreviousMode.Mode == thunder.ModeContainer {
		// Provisioned before: the mode to restore is the one from before.
		c.PreviousMode = state.PreviousMode
	}
	// Everything that shapes the rootfs: the source, the owners it is
	// stored with, and the share mount points made in it.
	shaping := []string{"v1", p.Source.Fingerprint, fmt.Sprint(p.shifts())}
	if p.shifts() {
		shaping = append(shaping, p.idmap.Lines()...)
	}
	for _, s := range p.Shares {
		shaping = append(shaping, s.Container)
	}
	c.fingerprint = hash(strings.Join(shaping, "\x00"))
	arch := req.Arch
	if arch == "auto" {
		switch {
		case hasState && state.Fingerprint == c.fingerprint && state.Arch != "":
			arch = state.Arch
		case p.Source.Kind != SourceTarball:
			detected, err := detectArchInFolder(p.Source.Path)
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
	}
	if p.mapped {
		c.data.IDMap = p.idmap.Lines()
	}
	var err error
	if c.Config, err = p.template.Render(c.data); err != nil {
		return err
	}
	there, err := exists(p.root, c.Dir)
	if err != nil {
		return err
	}
	switch {
	case !there:
		c.Action = ActionCreate
	case hasState && state.Fingerprint == c.fingerprint && p.configOnDiskIs(c):
		c.Action = ActionUnchanged
	case req.Force:
		c.Action = ActionReplace
	case hasState:
		return fieldErrorf("force", nil, "needed to replace container %s, which exists from an earlier run with another source or options", inroot.Describe(p.root, c.Dir))
	default:
		return fieldErrorf("force", nil, "needed to replace container %s, which thunder-lxc did not make", inroot.Describe(p.root, c.Dir))
	}
	return nil
}

// shifts tells whether the rootfs is stored with shifted owners.
func (p *Plan) shifts() bool { return p.mapped && !p.Request.NoShiftIDs }

// mountEntries are the guide's /tmp bind mount (Thunder passes paths under
// its volatile path to the container) and the shares.
func (p *Plan) mountEntries() []string {
	entries := []string{fmt.Sprintf("%s tmp none bind,create=dir 0 0", p.Layout.VolatilePath)}
	for _, s := range p.Shares {
		entries = append(entries, s.MountEntry())
	}
	return entries
}

// configOnDiskIs tells whether the container's config file already holds
// exactly the rendered config (a hand-edited config is a change).
func (p *Plan) configOnDiskIs(c *ContainerPlan) bool {
	data, err := inroot.ReadFile(p.root, path.Join(c.Dir, "config"))
	return err == nil && bytes.Equal(data, c.Config)
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
