package thunder

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// Plugin is one plugin config file found in the target.
type Plugin struct {
	Callsign  string
	ClassName string
	// Path is the device path of the plugin's JSON config.
	Path string
	// Data is the file's content as read.
	Data []byte
}

// ErrPluginNotFound is returned when no plugin config has the callsign.
var ErrPluginNotFound = errors.New("plugin not found")

// PluginNotFoundError says where a callsign was looked for and which
// callsigns are there instead.
type PluginNotFoundError struct {
	Callsign string
	Target   string   // the root's name
	Dirs     []string // the plugin folders looked in (device paths)
	Found    []string // the callsigns there, sorted
}

func (e *PluginNotFoundError) Error() string {
	there := "no plugin configs there"
	if len(e.Found) > 0 {
		there = "found: " + strings.Join(e.Found, ", ")
	}
	return fmt.Sprintf("no plugin config for callsign %q in %s of target %s (%s)", e.Callsign, strings.Join(e.Dirs, ", "), e.Target, there)
}

func (e *PluginNotFoundError) Is(target error) bool { return target == ErrPluginNotFound }

// FindPlugin looks for the plugin config of callsign in the layout's plugin
// folders: a file <callsign>.json, or any *.json whose "callsign" key names
// it (the callsign is the key when present, the file name otherwise).
func FindPlugin(root inroot.FS, l Layout, callsign string) (Plugin, error) {
	var known []string
	for _, dir := range l.PluginDirs {
		names, err := PluginConfigFiles(root, dir)
		if err != nil {
			return Plugin{}, err
		}
		for _, name := range names {
			p := path.Join(dir, name)
			data, err := inroot.ReadFile(root, p)
			if err != nil {
				return Plugin{}, fmt.Errorf("read plugin config %s: %w", inroot.Describe(root, p), err)
			}
			cs := CallsignOf(data, name)
			known = append(known, cs)
			if cs != callsign {
				continue
			}
			if !gjson.ValidBytes(data) {
				return Plugin{}, fmt.Errorf("plugin config %s is not valid JSON: fix the file, nothing was changed", inroot.Describe(root, p))
			}
			class := gjson.GetBytes(data, "classname").String()
			if class == "" {
				return Plugin{}, fmt.Errorf("plugin config %s has no \"classname\": add it (the container folder is named after it)", inroot.Describe(root, p))
			}
			if strings.ContainsAny(class, "/\x00") || class == "." || class == ".." {
				return Plugin{}, fmt.Errorf("plugin config %s: classname %q cannot be a folder name", inroot.Describe(root, p), class)
			}
			return Plugin{Callsign: callsign, ClassName: class, Path: p, Data: data}, nil
		}
	}
	sort.Strings(known)
	return Plugin{}, &PluginNotFoundError{Callsign: callsign, Target: root.Name(), Dirs: l.PluginDirs, Found: uniq(known)}
}

// CallsignOf reads the callsign key, falling back to the file name. A file
// that is not valid JSON is named by its file name, so that a broken config
// of the wanted plugin is reported rather than skipped.
func CallsignOf(data []byte, fileName string) string {
	if v := gjson.GetBytes(data, "callsign"); v.Type == gjson.String && v.String() != "" {
		return v.String()
	}
	return strings.TrimSuffix(fileName, ".json")
}

// PluginConfigFiles lists the *.json files of the plugin folder dir in the
// target, sorted; a missing folder has none.
func PluginConfigFiles(root inroot.FS, dir string) ([]string, error) {
	entries, err := inroot.ReadDir(root, dir)
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
