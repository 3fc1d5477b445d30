package provision

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// containerRecords are what a container's state records for remove (see
// State): the folders and files made for it, its plugin config before,
// the seccomp lines and subuid/subgid lines it relies on.
type containerRecords struct {
	made      []string // device paths, sorted
	before    []byte
	seccomp   []string
	grants    map[string][]string
	messaging *string
}

// foundState is a container of the tool found in a target.
type foundState struct {
	// Dir is the device path of the container folder.
	Dir   string
	State State
}

// toolContainers lists the containers the tool made in the target: the
// folders <datapath>/*/Container holding a state file of the tool.
func toolContainers(root inroot.FS, l thunder.Layout) ([]foundState, error) {
	entries, err := inroot.ReadDir(root, l.DataPath)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", inroot.Describe(root, l.DataPath), err)
	}
	var out []foundState
	for _, e := range entries {
		dir := devicePath(l.DataPath, e.Name(), "Container")
		if s, ok := readState(root, dir); ok && s.Tool == "thunder-lxc" {
			out = append(out, foundState{Dir: dir, State: s})
		}
	}
	return out, nil
}

// planRecords works out each container's records. A container records a
// change when this run makes it for the container, or when another
// container of the tool recorded it and this one relies on it as well
// (the same share folder, a subuid line serving its ID map, the commented
// seccomp line): remove then undoes a change with the last container that
// records it, and N containers provisioned in one run record what N runs
// would have recorded.
func (p *Plan) planRecords() error {
	all, err := toolContainers(p.target, p.Layout)
	if err != nil {
		return err
	}
	var others []State
	for _, f := range all {
		if !slices.ContainsFunc(p.Containers, func(c *ContainerPlan) bool { return c.Dir == f.Dir }) {
			others = append(others, f.State)
		}
	}
	shared, err := p.sharedNeeds()
	if err != nil {
		return err
	}
	commonConf, hasCommonConf := p.commonConfAfter()
	for _, c := range p.Containers {
		mine := others
		if c.hasState {
			mine = append(slices.Clone(others), c.state)
		}
		r := &c.records
		own, err := missingParts(p.target, c.Dir)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(p.target, c.Dir), err)
		}
		dir, err := inroot.Resolve(p.target, c.Dir, false)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(p.target, c.Dir), err)
		}
		relied := append([]string{dir}, shared.relied...)
		made := map[string]bool{}
		for _, m := range append(own, shared.created...) {
			made["/"+m] = true
		}
		// Its own earlier records stay, relied on or not: remove takes
		// them away when empty.
		for _, m := range c.state.Made {
			made[path.Clean(m)] = true
		}
		for _, s := range others {
			for _, m := range s.Made {
				if reliesOn(relied, strings.TrimPrefix(path.Clean(m), "/")) {
					made[path.Clean(m)] = true
				}
			}
		}
		r.made = sortedKeys(made)
		r.before = p.pluginBefore(c)
		if hasCommonConf {
			for _, e := range p.Edits {
				if e.Path == lxc.CommonConfPath && e.Changed() {
					r.seccomp = lxc.ActiveSeccompLines(e.Old)
				}
			}
			for _, s := range mine {
				for _, line := range s.SeccompCommented {
					if lxc.IsCommentedOut(commonConf, line) && !slices.Contains(r.seccomp, line) {
						r.seccomp = append(r.seccomp, line)
					}
				}
			}
		}
		r.grants = p.grantRecords(mine)
		r.messaging = p.messagingRecord(mine)
	}
	return nil
}

// sharedNeeds are what every container of the plan relies on outside its
// container folder (local paths): the share folders and the subuid/subgid
// files; created are those, and their missing parents, that this run makes.
type sharedNeeds struct{ relied, created []string }

func (p *Plan) sharedNeeds() (sharedNeeds, error) {
	var n sharedNeeds
	add := func(devicePath string) error {
		resolved, err := inroot.Resolve(p.target, devicePath, true)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(p.target, devicePath), err)
		}
		parts, err := missingParts(p.target, resolved)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(p.target, devicePath), err)
		}
		n.relied = append(n.relied, resolved)
		n.created = append(n.created, parts...)
		return nil
	}
	for _, s := range p.Shares {
		if err := add(s.Host); err != nil {
			return n, err
		}
	}
	for _, e := range p.Edits {
		if p.isSubIDEdit(e) {
			if err := add(e.Path); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// reliesOn tells whether the local path m is one of relied or a folder
// above one.
func reliesOn(relied []string, m string) bool {
	for _, r := range relied {
		if r == m || strings.HasPrefix(r, m+"/") {
			return true
		}
	}
	return false
}

// pluginBefore is the plugin config as it was before the container was
// first provisioned: as read now, or as an earlier run recorded it (none
// when that run's record predates the field).
func (p *Plan) pluginBefore(c *ContainerPlan) []byte {
	if c.hasState {
		return c.state.PluginConfigBefore
	}
	for _, e := range p.Edits {
		if e.Path == c.PluginConfig {
			return e.Old
		}
	}
	return nil
}

// commonConfAfter is common.conf as the run leaves it.
func (p *Plan) commonConfAfter() ([]byte, bool) {
	for _, e := range p.Edits {
		if e.Path == lxc.CommonConfPath {
			return e.New, true
		}
	}
	data, err := inroot.ReadFile(p.target, lxc.CommonConfPath)
	return data, err == nil
}

// isSubIDEdit tells whether the edit is of /etc/subuid or /etc/subgid.
func (p *Plan) isSubIDEdit(e *Edit) bool {
	return p.mapped && len(lxc.SubIDNeed(p.idmap, e.Path)) > 0
}

// grantRecords are the subuid/subgid lines a container of the plan
// records: those the run adds, and those earlier runs of the tool added
// that serve its map.
func (p *Plan) grantRecords(states []State) map[string][]string {
	out := map[string][]string{}
	for _, e := range p.Edits {
		if !p.isSubIDEdit(e) {
			continue
		}
		need := lxc.SubIDNeed(p.idmap, e.Path)
		lines := slices.Clone(p.grantsAdded[e.Path])
		for _, s := range states {
			for _, l := range s.Grants[e.Path] {
				if lxc.HasLine(e.New, l) && lxc.GrantServes(l, need) && !slices.Contains(lines, l) {
					lines = append(lines, l)
				}
			}
		}
		if len(lines) > 0 {
			slices.Sort(lines) // the same record, whichever run added which line
			out[e.Path] = lines
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
