package applyfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// File is an apply file as read.
type File struct {
	// Name is the file's path as given.
	Name string
	// Defaults are the top-level keys.
	Defaults   Settings
	Containers []Container
	// Remove are the callsigns whose containers the run removes.
	Remove []string
	// Problems are what is wrong in the file, each starting with its
	// place; Requests reports them with the requests' own.
	Problems []error
}

// Container is one entry of the containers list.
type Container struct {
	Callsign string
	Settings Settings
	// Where is the entry's place: containers[1].
	Where string
}

// Read reads and checks an apply file. Every problem found is reported
// at once, each named by its place in the file; relative paths in the
// file are made relative to the file's folder.
func Read(name string) (*File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, fmt.Errorf("read apply file %q: %w", name, err)
	}
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	f.Defaults.resolvePaths(dir)
	for _, c := range f.Containers {
		c.Settings.resolvePaths(dir)
	}
	return f, nil
}

// Parse reads the YAML of an apply file named name.
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("apply file %q: %w: fix the YAML", name, err)
	}
	p := &parser{}
	f := &File{Name: name, Defaults: Settings{}}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("apply file %q: line %d: the file must be a mapping of keys (target:, containers:, …)", name, top.Line)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "containers":
			f.Containers = p.containers(v)
		case "remove":
			f.Remove = p.strings("remove", v)
		case "callsign":
			p.problem(k.Value, k, "goes in an entry of containers:, each entry names one callsign")
		default:
			p.setting(f.Defaults, "", k, v, true)
		}
	}
	seen := map[string]string{}
	for _, c := range f.Containers {
		if other, dup := seen[c.Callsign]; dup && c.Callsign != "" {
			p.problems = append(p.problems, fmt.Errorf("%s.callsign %q: given in %s too", c.Where, c.Callsign, other))
		}
		seen[c.Callsign] = c.Where
	}
	for i, cs := range f.Remove {
		if where, both := seen[cs]; both {
			p.problems = append(p.problems, fmt.Errorf("remove[%d] %q: also provisioned by %s: give it in one of them", i, cs, where))
		}
	}
	if len(f.Containers) == 0 && len(f.Remove) == 0 {
		p.problems = append(p.problems, errors.New("containers: name at least one container (containers: [{callsign: OCDM}]), or callsigns to remove"))
	}
	f.Problems = p.problems
	return f, nil
}

// parser collects the problems found while reading.
type parser struct{ problems []error }

func (p *parser) problem(where string, n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, fmt.Errorf("%s (line %d): %s", where, n.Line, fmt.Sprintf(format, args...)))
}

func (p *parser) containers(n *yaml.Node) []Container {
	if n.Kind != yaml.SequenceNode {
		p.problem("containers", n, "give a list of entries, each with a callsign")
		return nil
	}
	var out []Container
	for i, entry := range n.Content {
		where := fmt.Sprintf("containers[%d]", i)
		c := Container{Settings: Settings{}, Where: where}
		if entry.Kind != yaml.MappingNode {
			p.problem(where, entry, "give a mapping with a callsign and the keys to override")
			continue
		}
		for j := 0; j+1 < len(entry.Content); j += 2 {
			k, v := entry.Content[j], entry.Content[j+1]
			if k.Value == "callsign" {
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					p.problem(where+".callsign", v, "give the plugin's callsign, e.g. OCDM")
				}
				c.Callsign = v.Value
				continue
			}
			p.setting(c.Settings, where+".", k, v, false)
		}
		if c.Callsign == "" {
			p.problem(where, entry, "no callsign: name the plugin, e.g. callsign: OCDM")
		}
		out = append(out, c)
	}
	return out
}

// setting reads the value v of key k into s; prefix is the place of the
// mapping k is in.
func (p *parser) setting(s Settings, prefix string, k, v *yaml.Node, top bool) {
	where := prefix + k.Value
	spec, known := keys[k.Value]
	switch {
	case !known:
		at := prefix
		if at == "" {
			at = "top level."
		}
		p.problem(at[:len(at)-1], k, "unknown key %q: the keys are provision's flag names without the dashes (%s)", k.Value, knownKeys())
		return
	case spec.scope == topOnly && !top:
		p.problem(where, k, "give it at the top level: %s", spec.why)
		return
	}
	value, ok := p.value(where, spec.kind, v)
	if ok {
		s[k.Value] = Value{V: value, Where: where}
	}
}

// value reads a node as the kind wants.
func (p *parser) value(where string, want kind, n *yaml.Node) (any, bool) {
	switch want {
	case kindString, kindPath:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			return n.Value, true
		}
		p.problem(where, n, "give a string")
	case kindInt:
		if v, err := strconv.Atoi(n.Value); n.Kind == yaml.ScalarNode && err == nil {
			return v, true
		}
		p.problem(where, n, "%q is not a whole number", n.Value)
	case kindBool:
		var b bool
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && n.Decode(&b) == nil {
			return b, true
		}
		p.problem(where, n, "%q: give true or false", n.Value)
	case kindInts:
		// The numbers that are numbers are kept, so that their own
		// problems (outside the ID map) are reported too.
		var out []int
		for i, item := range listItems(n) {
			v, err := strconv.Atoi(item.Value)
			if item.Kind != yaml.ScalarNode || err != nil {
				p.problem(fmt.Sprintf("%s[%d]", where, i), item, "%q is not a whole number", item.Value)
				continue
			}
			out = append(out, v)
		}
		return out, true
	case kindStrings:
		return p.strings(where, n), true
	}
	return nil, false
}

// strings reads a list of strings, or one string.
func (p *parser) strings(where string, n *yaml.Node) []string {
	var out []string
	for i, item := range listItems(n) {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			p.problem(fmt.Sprintf("%s[%d]", where, i), item, "give a string")
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

// listItems are a sequence's items; a single value is a list of one.
func listItems(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

func knownKeys() string {
	names := Keys()
	sort.Strings(names)
	return fmt.Sprint(names)
}
