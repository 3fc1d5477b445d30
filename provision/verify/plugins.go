package verify

import (
	"fmt"
	"path"
	"slices"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// pluginRef is one plugin to verify: found (Plugin set) or not (Err set).
type pluginRef struct {
	Callsign string
	// Named: the user asked for it, so a mode other than Container is a
	// finding rather than a reason to skip it.
	Named  bool
	Plugin thunder.Plugin
	Err    error
}

// selectPlugins returns the named plugins, or else every plugin of the
// layout's plugin folders that is in Container mode or has a container
// where Thunder looks for one, in callsign order.
func (t *target) selectPlugins(named []string) ([]pluginRef, error) {
	if len(named) > 0 {
		var refs []pluginRef
		for _, cs := range named {
			p, err := thunder.FindPlugin(t.root, t.layout, cs)
			refs = append(refs, pluginRef{Callsign: cs, Named: true, Plugin: p, Err: err})
		}
		return refs, nil
	}
	callsigns, err := t.containerCallsigns()
	if err != nil {
		return nil, err
	}
	var refs []pluginRef
	for _, cs := range callsigns {
		p, err := thunder.FindPlugin(t.root, t.layout, cs)
		refs = append(refs, pluginRef{Callsign: cs, Plugin: p, Err: err})
	}
	return refs, nil
}

// containerCallsigns lists the callsigns of plugin configs in Container
// mode, and of those in another mode that still have a container folder
// (a mode set back to Local by hand leaves the container unused, which
// the mode check then says). A config that is not valid JSON is no
// containerized plugin: Thunder cannot read it either.
func (t *target) containerCallsigns() ([]string, error) {
	var found []string
	for _, dir := range t.layout.PluginDirs {
		names, err := thunder.PluginConfigFiles(t.root, dir)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			p := path.Join(dir, name)
			data, err := inroot.ReadFile(t.root, p)
			if err != nil {
				return nil, fmt.Errorf("read plugin config %s: %w", inroot.Describe(t.root, p), err)
			}
			cs := thunder.CallsignOf(data, name)
			if slices.Contains(found, cs) {
				continue
			}
			if mode, err := thunder.ReadMode(data); (err == nil && mode.Mode == thunder.ModeContainer) || t.hasContainer(cs) {
				found = append(found, cs)
			}
		}
	}
	slices.Sort(found)
	return found, nil
}

// hasContainer tells whether a container folder of the plugin is in one of
// the places Thunder looks (with or without its config file).
func (t *target) hasContainer(callsign string) bool {
	p, err := thunder.FindPlugin(t.root, t.layout, callsign)
	if err != nil {
		return false
	}
	for _, dir := range t.containerPlaces(p) {
		if isDir(t.root, dir) {
			return true
		}
	}
	return false
}
