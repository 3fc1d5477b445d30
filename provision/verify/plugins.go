package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

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
		names, err := jsonNames(root, dir)
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
			cs := strings.TrimSuffix(name, ".json")
			if v := gjson.GetBytes(data, "callsign"); v.Type == gjson.String && v.String() != "" {
				cs = v.String()
			}
			if !slices.Contains(found, cs) {
				found = append(found, cs)
			}
		}
	}
	slices.Sort(found)
	return found, nil
}

// jsonNames lists dir's *.json files in the target, sorted; a missing
// folder has none.
func jsonNames(root *os.Root, dir string) ([]string, error) {
	resolved, err := inroot.Resolve(root, dir, true)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(root.FS(), resolved)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list plugin configs in %s: %w", inroot.Describe(root, dir), err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
