package verify

import (
	"fmt"
	"os"
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

// selectPlugins returns the named plugins, or every plugin of the layout's
// plugin folders whose mode is Container, in callsign order.
func selectPlugins(root *os.Root, l thunder.Layout, named []string) ([]pluginRef, error) {
	if len(named) > 0 {
		var refs []pluginRef
		for _, cs := range named {
			p, err := thunder.FindPlugin(root, l, cs)
			refs = append(refs, pluginRef{Callsign: cs, Named: true, Plugin: p, Err: err})
		}
		return refs, nil
	}
	callsigns, err := containerCallsigns(root, l)
	if err != nil {
		return nil, err
	}
	var refs []pluginRef
	for _, cs := range callsigns {
		p, err := thunder.FindPlugin(root, l, cs)
		refs = append(refs, pluginRef{Callsign: cs, Plugin: p, Err: err})
	}
	return refs, nil
}

// containerCallsigns lists the callsigns of plugin configs in Container
// mode. A config that is not valid JSON is no containerized plugin: Thunder
// cannot read it either.
func containerCallsigns(root *os.Root, l thunder.Layout) ([]string, error) {
	var found []string
	for _, dir := range l.PluginDirs {
		names, err := thunder.PluginConfigFiles(root, dir)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			p := path.Join(dir, name)
			data, err := inroot.ReadFile(root, p)
			if err != nil {
				return nil, fmt.Errorf("read plugin config %s: %w", inroot.Describe(root, p), err)
			}
			mode, err := thunder.ReadMode(data)
			if err != nil || mode.Mode != thunder.ModeContainer {
				continue
			}
			if cs := thunder.CallsignOf(data, name); !slices.Contains(found, cs) {
				found = append(found, cs)
			}
		}
	}
	slices.Sort(found)
	return found, nil
}
