package thunder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/thunder-lxc/thunder-lxc/layouts"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// Layout is where a Thunder release keeps things on the device. Paths are
// device paths (absolute, as seen by the running system).
type Layout struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Config      string   `json:"config"`
	PluginDirs  []string `json:"pluginDirs"`
	DataPath    string   `json:"datapath"`
	// PersistentPath and VolatilePath are where Thunder looks for a
	// container before the data path (<path>/<callsign>/Container).
	PersistentPath string `json:"persistentpath"`
	VolatilePath   string `json:"volatilepath"`
	// HostProcess is the program Thunder starts inside the container.
	HostProcess string `json:"hostProcess"`
}

// LayoutNames lists the embedded layouts, sorted.
func LayoutNames() []string {
	entries, _ := fs.Glob(layouts.FS, "*.json")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, ".json"))
	}
	sort.Strings(names)
	return names
}

// ErrUnknownLayout means a layout name is none of LayoutNames.
var ErrUnknownLayout = errors.New("unknown layout")

// LoadLayout returns the embedded layout called name.
func LoadLayout(name string) (Layout, error) {
	data, err := layouts.FS.ReadFile(name + ".json")
	if err != nil {
		return Layout{}, fmt.Errorf("%w %q: the layouts are %s", ErrUnknownLayout, name, strings.Join(LayoutNames(), ", "))
	}
	var l Layout
	if err := json.Unmarshal(data, &l); err != nil {
		return Layout{}, fmt.Errorf("embedded layout %q: %w", name, err)
	}
	return l, nil
}

// ResolveLayout picks the layout for a target: name "auto" (or "") detects
// it from the target's files; then the keys of the target's main config.json
// (datapath, persistentpath, volatilepath, configs) override the defaults,
// since that is what Thunder itself reads on the device.
func ResolveLayout(root inroot.FS, name string) (Layout, error) {
	var l Layout
	var err error
	if name == "" || name == "auto" {
		l, err = detectLayout(root)
	} else {
		l, err = LoadLayout(name)
	}
	if err != nil {
		return Layout{}, err
	}
	return l, l.applyMainConfig(root)
}

// ErrNoLayout means no layout's files are in a target.
var ErrNoLayout = errors.New("no Thunder layout found")

// NoLayoutError names the target and the files looked for in it.
type NoLayoutError struct {
	Target string
	Looked []string // device paths
}

func (e *NoLayoutError) Error() string {
	return fmt.Sprintf("target %s has none of %s (is it a Thunder root filesystem?)", e.Target, strings.Join(e.Looked, ", "))
}

func (e *NoLayoutError) Is(target error) bool { return target == ErrNoLayout }

// detectLayout returns the first embedded layout whose main config or plugin
// folder exists in the target. Thunder (R5) comes before WPEFramework.
func detectLayout(root inroot.FS) (Layout, error) {
	notFound := &NoLayoutError{Target: root.Name()}
	for _, name := range LayoutNames() {
		l, err := LoadLayout(name)
		if err != nil {
			return Layout{}, err
		}
		for _, p := range append([]string{l.Config}, l.PluginDirs...) {
			if _, err := inroot.Stat(root, p); err == nil {
				return l, nil
			}
			notFound.Looked = append(notFound.Looked, p)
		}
	}
	return Layout{}, notFound
}

// applyMainConfig reads the target's main config.json, when present, and
// takes its path keys. A data path the layout does not name but the target
// has (Buildroot trees with /usr/share/Thunder under the WPEFramework
// namespace) is found by looking for it when config.json says nothing.
func (l *Layout) applyMainConfig(root inroot.FS) error {
	data, err := inroot.ReadFile(root, l.Config)
	if errors.Is(err, fs.ErrNotExist) {
		l.guessDataPath(root)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read Thunder config %s: %w", inroot.Describe(root, l.Config), err)
	}
	if !gjson.ValidBytes(data) {
		// Every layout reads it, so fixing the file is the only way on.
		return fmt.Errorf("Thunder config %s is not valid JSON: fix it", inroot.Describe(root, l.Config))
	}
	cfg := gjson.ParseBytes(data)
	keys := []struct {
		key string
		dst *string
	}{{"datapath", &l.DataPath}, {"persistentpath", &l.PersistentPath}, {"volatilepath", &l.VolatilePath}}
	for _, k := range keys {
		if v := cfg.Get(k.key); v.Type == gjson.String && v.String() != "" {
			*k.dst = cleanDevicePath(v.String())
		}
	}
	if !cfg.Get("datapath").Exists() {
		l.guessDataPath(root)
	}
	if v := cfg.Get("configs"); v.Type == gjson.String && v.String() != "" {
		// Thunder reads plugin configs from exactly this folder; keep the
		// guide's singular spelling as a second place to look.
		dir := cleanDevicePath(v.String())
		l.PluginDirs = uniq(append([]string{dir}, l.PluginDirs...))
	}
	return nil
}

func (l *Layout) guessDataPath(root inroot.FS) {
	if _, err := inroot.Stat(root, l.DataPath); err == nil {
		return
	}
	for _, alt := range []string{"/usr/share/Thunder", "/usr/share/WPEFramework"} {
		if _, err := inroot.Stat(root, alt); err == nil {
			l.DataPath = alt
			return
		}
	}
}

// cleanDevicePath makes "/usr/share/Thunder/" and "usr/share/Thunder" both
// "/usr/share/Thunder".
func cleanDevicePath(p string) string {
	return path.Clean("/" + p)
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
