package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// RemoveRequest is what remove is asked: provision undone for each callsign.
type RemoveRequest struct {
	Callsigns []string
	// Target is the build-host folder holding the device's root filesystem.
	Target string
	// Layout is auto, thunder or wpeframework.
	Layout string
	// DryRun plans and reports without writing.
	DryRun bool
	// Image, when set, makes the remove one on a tarball (Target is then
	// not used): Image.In is read, the result written to Image.Out.
	Image *ImageFiles
	// Stdin is read for an Image.In of "-" (nil: the process's).
	Stdin io.Reader
}

// Validate reports every problem of the request at once.
func (r *RemoveRequest) Validate() error {
	var ps problems
	checkCallsigns(&ps, r.Callsigns)
	switch {
	case r.Image != nil:
		r.Image.validate(&ps)
	case r.Target == "":
		ps.add(fieldErrorf("target", nil, "give the folder holding the device's root filesystem"))
	}
	if r.Layout != "" && r.Layout != "auto" && !slices.Contains(thunder.LayoutNames(), r.Layout) {
		ps.add(fieldErrorf("layout", r.Layout, "use auto or one of %s", strings.Join(thunder.LayoutNames(), ", ")))
	}
	return ps.err()
}

// Remove actions.
const (
	ActionRemove = "remove"
	ActionAbsent = "absent" // no container: nothing to undo
)

// RemovedContainer is one container remove takes away, and how its plugin
// config is restored.
type RemovedContainer struct {
	Callsign     string `json:"callsign"`
	ClassName    string `json:"classname"`
	PluginConfig string `json:"pluginConfig"`
	// Dir is the device path of the container folder.
	Dir    string `json:"dir"`
	Action string `json:"action"`
	// Mode is the plugin's mode after remove.
	Mode string `json:"mode"`
	// Restored is how the plugin config comes back: "bytes" (byte for
	// byte as before the first provisioning), "mode" (only the mode: the
	// file changed since, or its record predates the bytes), "" (absent).
	Restored string `json:"restored"`
	state    State
}

// KeptPath is something the tool made for a removed container that
// remove leaves, and why.
type KeptPath struct {
	Path string `json:"path"`
	Why  string `json:"why"`
}

// RemovePlan is everything a remove will do, worked out by reading only.
type RemovePlan struct {
	Request    RemoveRequest
	Layout     thunder.Layout
	Containers []*RemovedContainer
	// Gone are the device paths taken away, each with all below it: a
	// container folder with the empty folders made for it, an empty share
	// folder, a subuid file left empty.
	Gone     []string
	Kept     []KeptPath
	Edits    []*Edit
	Warnings []string

	runTarget
	image *imageIO
	// gone are Gone as local paths.
	gone []string
}

// Close releases the target, and the spool of an image read from
// standard input.
func (rp *RemovePlan) Close() error {
	rp.image.close()
	return closeAll(&rp.closers)
}

// closeAll closes each of closers once.
func closeAll(closers *[]io.Closer) error {
	var errs []error
	for _, c := range *closers {
		errs = append(errs, c.Close())
	}
	*closers = nil
	return errors.Join(errs...)
}

// BuildRemovePlan reads the target and works out what remove restores and
// takes away. It writes nothing; every refusal happens here.
func BuildRemovePlan(ctx context.Context, req RemoveRequest) (*RemovePlan, error) {
	return buildRemovePlan(ctx, req, nil)
}

// buildRemovePlan plans the remove; staying are the containers (device
// paths of their folders, and the paths they rely on) that an apply
// provisions in the same run, which count as remaining.
func buildRemovePlan(ctx context.Context, req RemoveRequest, staying *stayingContainers) (*RemovePlan, error) {
	if req.Layout == "" {
		req.Layout = "auto"
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.Image != nil {
		im, err := openImage(ctx, *req.Image, req.Stdin)
		if err != nil {
			return nil, err
		}
		rp, err := planRemoveInImage(req, im, staying)
		if err != nil {
			im.close()
			return nil, err
		}
		rp.image = im
		return rp, nil
	}
	t, err := openRunTarget(ctx, req.Target, req.DryRun)
	if err != nil {
		return nil, err
	}
	rp := &RemovePlan{Request: req, runTarget: t}
	if err := rp.build(staying); err != nil {
		rp.Close()
		return nil, err
	}
	return rp, nil
}

// planRemoveInImage plans a remove against the index of an image, which
// the caller owns: nothing is unpacked, the output is written by the
// image's writer.
func planRemoveInImage(req RemoveRequest, im *imageIO, staying *stayingContainers) (*RemovePlan, error) {
	if req.Layout == "" {
		req.Layout = "auto"
	}
	rp := &RemovePlan{Request: req, runTarget: runTarget{target: im.index, clock: im.runTime}}
	if err := rp.build(staying); err != nil {
		return nil, err
	}
	return rp, nil
}

// stayingContainers are the containers an apply provisions beside a
// remove: what they rely on is not taken away.
type stayingContainers struct {
	dirs   []string // device paths of their container folders
	relied []string // local paths they rely on (share folders, subid files)
}

func (rp *RemovePlan) build(staying *stayingContainers) error {
	var err error
	if rp.Layout, err = thunder.ResolveLayout(rp.target, rp.Request.Layout); err != nil {
		return err
	}
	all, err := toolContainers(rp.target, rp.Layout)
	if err != nil {
		return err
	}
	for _, cs := range rp.Request.Callsigns {
		c, err := rp.planContainer(cs)
		if err != nil {
			return err
		}
		rp.Containers = append(rp.Containers, c)
	}
	var removed, remaining []State
	for _, f := range all {
		if slices.ContainsFunc(rp.Containers, func(c *RemovedContainer) bool { return c.Dir == f.Dir && c.Action == ActionRemove }) {
			removed = append(removed, f.State)
		} else {
			remaining = append(remaining, f.State)
		}
	}
	for _, s := range removed {
		if !s.Records {
			rp.Warnings = append(rp.Warnings, fmt.Sprintf("%s was provisioned by an older thunder-lxc, which did not record the seccomp line, subuid/subgid lines or the plugin config's bytes: those stay as they are (check %s, /etc/subuid and /etc/subgid by hand)",
				s.Callsign, lxc.CommonConfPath))
		}
	}
	stays := len(remaining) > 0 || staying != nil && len(staying.dirs) > 0
	if err := rp.planCommonConf(removed, stays); err != nil {
		return err
	}
	if err := rp.planMessaging(removed, remaining, staying); err != nil {
		return err
	}
	emptied, err := rp.planGrants(removed, remaining)
	if err != nil {
		return err
	}
	return rp.planGone(removed, remaining, staying, emptied)
}

// planContainer finds the callsign's container and plans its plugin
// config's restore.
func (rp *RemovePlan) planContainer(callsign string) (*RemovedContainer, error) {
	plugin, err := thunder.FindPlugin(rp.target, rp.Layout, callsign)
	if err != nil {
		return nil, err
	}
	c := &RemovedContainer{Callsign: callsign, ClassName: plugin.ClassName, PluginConfig: plugin.Path,
		Dir: devicePath(rp.Layout.DataPath, plugin.ClassName, "Container"), Action: ActionAbsent}
	there, err := exists(rp.target, c.Dir)
	if err != nil || !there {
		if mode, merr := thunder.ReadMode(plugin.Data); merr == nil {
			c.Mode = mode.Mode
		}
		return c, err
	}
	state, ok := readState(rp.target, c.Dir)
	if !ok || state.Tool != "thunder-lxc" {
		return nil, fmt.Errorf("container %s has no state file %s: thunder-lxc did not make it, so it cannot tell what to restore; remove it by hand",
			inroot.Describe(rp.target, c.Dir), stateFile)
	}
	if state.Callsign != callsign {
		return nil, fmt.Errorf("container %s was provisioned for %s, not %s (both have the classname %s): remove %s",
			inroot.Describe(rp.target, c.Dir), state.Callsign, callsign, plugin.ClassName, state.Callsign)
	}
	c.Action, c.state = ActionRemove, state
	edit := &Edit{Path: plugin.Path, Old: plugin.Data}
	provisioned, _ := thunder.SetMode(state.PluginConfigBefore, thunder.ModeContainer)
	switch {
	case state.PluginConfigBefore != nil && (bytes.Equal(plugin.Data, provisioned) || bytes.Equal(plugin.Data, state.PluginConfigBefore)):
		edit.New, c.Restored = state.PluginConfigBefore, "bytes"
		edit.Why = fmt.Sprintf("%s: back as it was before thunder-lxc (configuration.root.mode %s)", callsign, state.PreviousMode.Mode)
	default:
		if edit.New, err = thunder.RestoreMode(plugin.Data, state.PreviousMode); err != nil {
			return nil, fmt.Errorf("plugin config %s: %w: fix the file", inroot.Describe(rp.target, plugin.Path), err)
		}
		c.Restored = "mode"
		edit.Why = fmt.Sprintf("%s: configuration.root.mode back to %s", callsign, state.PreviousMode.Mode)
		if state.PluginConfigBefore != nil {
			rp.Warnings = append(rp.Warnings, fmt.Sprintf("%s changed since it was provisioned: only its mode is set back, the rest is kept", inroot.Describe(rp.target, plugin.Path)))
		}
	}
	c.Mode = state.PreviousMode.Mode
	rp.Edits = append(rp.Edits, edit)
	return c, nil
}

// planCommonConf restores the lxc.seccomp.profile lines the removed
// containers record, once no container of the tool stays.
func (rp *RemovePlan) planCommonConf(removed []State, stays bool) error {
	var lines []string
	for _, s := range removed {
		for _, l := range s.SeccompCommented {
			if !slices.Contains(lines, l) {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if stays {
		rp.Kept = append(rp.Kept, KeptPath{Path: lxc.CommonConfPath, Why: "lxc.seccomp.profile stays commented out: other containers of thunder-lxc remain"})
		return nil
	}
	data, err := inroot.ReadFile(rp.target, lxc.CommonConfPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", inroot.Describe(rp.target, lxc.CommonConfPath), err)
	}
	rp.Edits = append(rp.Edits, &Edit{Path: lxc.CommonConfPath, Old: data, New: lxc.RestoreSeccomp(data, lines),
		Why: "lxc.seccomp.profile active again: no container of thunder-lxc remains"})
	return nil
}

// planGrants takes out the subuid/subgid lines the removed containers
// record and no remaining one does; emptied are the files (local paths)
// left with nothing, which go when the tool made them.
func (rp *RemovePlan) planGrants(removed, remaining []State) (emptied map[string]bool, err error) {
	emptied = map[string]bool{}
	files := map[string][]string{}
	var order []string
	for _, s := range removed {
		for file, lines := range s.Grants {
			if _, seen := files[file]; !seen {
				order = append(order, file)
			}
			for _, l := range lines {
				if !slices.Contains(files[file], l) && !slices.ContainsFunc(remaining, func(r State) bool { return slices.Contains(r.Grants[file], l) }) {
					files[file] = append(files[file], l)
				}
			}
		}
	}
	slices.Sort(order)
	for _, file := range order {
		data, err := inroot.ReadFile(rp.target, file)
		if errors.Is(err, fs.ErrNotExist) || len(files[file]) == 0 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", inroot.Describe(rp.target, file), err)
		}
		updated := lxc.RemoveLines(data, files[file])
		if len(updated) == 0 {
			if resolved, err := inroot.Resolve(rp.target, file, true); err == nil {
				emptied[resolved] = true
			}
		}
		rp.Edits = append(rp.Edits, &Edit{Path: file, Old: data, New: updated,
			Why: fmt.Sprintf("take out %s: no remaining container of thunder-lxc needs it", strings.Join(files[file], ", "))})
	}
	return emptied, nil
}

// planGone works out what is taken away: each removed container folder,
// and each path made for the removed containers that no remaining one
// records or relies on, when everything in it goes too (so a share folder
// holding files stays: the data is the user's) or, for a subid file, when
// it is left empty. Only the topmost of what goes is named.
func (rp *RemovePlan) planGone(removed, remaining []State, staying *stayingContainers, emptied map[string]bool) error {
	keep := map[string]bool{}
	for _, s := range remaining {
		for _, m := range s.Made {
			keep[strings.TrimPrefix(path.Clean(m), "/")] = true
		}
	}
	var relied []string
	if staying != nil {
		relied = staying.relied
		for _, d := range staying.dirs {
			if local, err := inroot.Resolve(rp.target, d, false); err == nil {
				relied = append(relied, local)
			}
		}
	}
	goes := map[string]bool{} // local path → goes
	candidates := map[string]bool{}
	for _, c := range rp.Containers {
		if c.Action != ActionRemove {
			continue
		}
		dir, err := inroot.Resolve(rp.target, c.Dir, false)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", inroot.Describe(rp.target, c.Dir), err)
		}
		goes[dir] = true
	}
	for _, s := range removed {
		for _, m := range s.Made {
			local := strings.TrimPrefix(path.Clean(m), "/")
			if !keep[local] && !reliesOn(relied, local) {
				candidates[local] = true
			}
		}
	}
	var decide func(p string) (bool, error)
	decide = func(p string) (bool, error) {
		if g, known := goes[p]; known {
			return g, nil
		}
		goes[p] = false
		info, err := rp.target.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("look at %s: %w", inroot.Describe(rp.target, p), err)
		}
		if !info.IsDir() {
			goes[p] = candidates[p] && emptied[p]
			return goes[p], nil
		}
		if !candidates[p] {
			return false, nil
		}
		entries, err := fs.ReadDir(rp.target.FS(), p)
		if err != nil {
			return false, fmt.Errorf("list %s: %w", inroot.Describe(rp.target, p), err)
		}
		for _, e := range entries {
			g, err := decide(path.Join(p, e.Name()))
			if err != nil || !g {
				return false, err
			}
		}
		goes[p] = true
		return true, nil
	}
	var kept []string
	for _, p := range sortedKeys(candidates) {
		g, err := decide(p)
		if err != nil {
			return err
		}
		if info, err := rp.target.Lstat(p); !g && err == nil && info.IsDir() {
			kept = append(kept, p)
		}
	}
	// Named once, at the deepest: its parents stay because it does.
	for _, p := range kept {
		if !slices.ContainsFunc(kept, func(q string) bool { return strings.HasPrefix(q, p+"/") }) {
			rp.Kept = append(rp.Kept, KeptPath{Path: "/" + p, Why: "it holds files the tool did not make (a share folder's data is the user's)"})
		}
	}
	for _, p := range sortedKeys(goes) {
		if goes[p] && !goes[path.Dir(p)] {
			rp.gone = append(rp.gone, p)
			rp.Gone = append(rp.Gone, "/"+p)
		}
	}
	return nil
}

// rootAndSession are the target and the session a remove plan writes
// through; none for a nil plan.
func (rp *RemovePlan) rootAndSession() (*os.Root, *fakeroot.Session) {
	if rp == nil {
		return nil, nil
	}
	return rp.root, rp.session
}
