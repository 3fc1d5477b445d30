package lxc

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ConfigLine is one "lxc.key = value" line of a container config or of a
// file it includes.
type ConfigLine struct {
	File  string // device path
	Line  int
	Key   string
	Value string
}

// Where names the line in messages that already name its file.
func (l ConfigLine) Where() string { return fmt.Sprintf("line %d", l.Line) }

// Config is a container config with its includes expanded in place, in the
// order LXC reads them, and every reason LXC would refuse it.
type Config struct {
	Path     string
	Lines    []ConfigLine
	Problems []ConfigProblem
	// Files are the device paths of the files read, in order.
	Files []string
}

// All returns the lines setting key, in order.
func (c *Config) All(key string) []ConfigLine {
	var out []ConfigLine
	for _, l := range c.Lines {
		if l.Key == key {
			out = append(out, l)
		}
	}
	return out
}

// Last returns the line that decides a single-valued key: LXC keeps the
// last assignment.
func (c *Config) Last(key string) (ConfigLine, bool) {
	lines := c.All(key)
	if len(lines) == 0 {
		return ConfigLine{}, false
	}
	return lines[len(lines)-1], true
}

// IDMap collects the valid lxc.idmap lines, each list sorted by container
// ID; false when there are none (a privileged container). An empty value
// clears the lines before it, as in liblxc (measured with lxc-info);
// malformed lines are Problems already.
func (c *Config) IDMap() (IDMap, bool) {
	var m IDMap
	for _, l := range c.All("lxc.idmap") {
		r, ok := ParseIDMapLine(l.Value)
		switch {
		case l.Value == "":
			m = IDMap{}
		case !ok:
			continue
		case r.Kind == 'u':
			m.UID = append(m.UID, r)
		default:
			m.GID = append(m.GID, r)
		}
	}
	byContainer := func(a, b Range) int { return a.ContainerID - b.ContainerID }
	slices.SortFunc(m.UID, byContainer)
	slices.SortFunc(m.GID, byContainer)
	return m, len(m.UID)+len(m.GID) > 0
}

// Kinds of ConfigProblem.
const (
	ProblemSyntax  = "syntax"  // a line LXC cannot read
	ProblemKey     = "key"     // an unknown or legacy key
	ProblemInclude = "include" // an lxc.include LXC cannot follow
)

// ConfigProblem is one reason liblxc refuses a config (and so skips the
// container, which Thunder then reports as not found).
type ConfigProblem struct {
	Kind    string // ProblemSyntax, ProblemKey or ProblemInclude
	File    string // device path of the file holding the line
	Message string
	Fix     string
}

// maxIncludeDepth stops include loops; LXC has no limit of its own and
// would recurse until it runs out of memory.
const maxIncludeDepth = 16

// configReader reads a config the way liblxc 5 does.
type configReader struct {
	root inroot.FS
	cfg  *Config
}

// ReadConfig parses the config at the device path p of root and every file
// it includes; what liblxc would refuse is in the result's Problems. Parse
// rules, as measured against liblxc 5.0.2 (lxc-info on crafted configs):
// leading and trailing blanks (and a CR) are ignored (splitLine); blank lines and lines
// starting with '#' are comments; there are no comments after a value; a
// line not starting with "lxc." is ignored; an "lxc." line without '=', an
// unknown key and a malformed lxc.idmap make the whole config unreadable.
// The error is for the config file itself not being readable.
func ReadConfig(root inroot.FS, p string) (*Config, error) {
	r := &configReader{root: root, cfg: &Config{Path: p}}
	data, err := inroot.ReadFile(root, p)
	if err != nil {
		return nil, err
	}
	r.parse(p, data, 0)
	return r.cfg, nil
}

func (r *configReader) problem(kind, file, fix, format string, args ...any) {
	r.cfg.Problems = append(r.cfg.Problems, ConfigProblem{Kind: kind, File: file, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// splitLine reads one line of a config as liblxc does: blanks (spaces and
// tabs) around it and around key and value, and a CR at its end, are
// ignored; a blank line, a comment ('#') and a line not starting with
// "lxc." have no key (ok false, line ""); an "lxc." line without '=' is
// returned as line with ok false. One function for reading and for
// CommentSeccomp, so that the line commented out is the line LXC reads.
func splitLine(raw string) (key, value, line string, ok bool) {
	line = strings.Trim(strings.TrimSuffix(raw, "\r"), " \t")
	if line == "" || strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "lxc.") {
		return "", "", "", false
	}
	key, value, ok = strings.Cut(line, "=")
	return strings.Trim(key, " \t"), strings.Trim(value, " \t\r"), line, ok
}

func (r *configReader) parse(file string, data []byte, depth int) {
	r.cfg.Files = append(r.cfg.Files, file)
	for i, raw := range strings.Split(string(data), "\n") {
		key, value, line, ok := splitLine(raw)
		if line == "" {
			continue
		}
		if !ok {
			r.problem(ProblemSyntax, file, "write it as key = value, or comment it out with '#'",
				"line %d %q has no '=': LXC refuses the whole config", i+1, line)
			continue
		}
		l := ConfigLine{File: file, Line: i + 1, Key: key, Value: value}
		if p, refused := checkKey(l); refused {
			r.cfg.Problems = append(r.cfg.Problems, p)
		}
		r.cfg.Lines = append(r.cfg.Lines, l)
		switch l.Key {
		case "lxc.include":
			r.include(l, depth)
		case "lxc.idmap":
			if _, ok := ParseIDMapLine(l.Value); !ok && l.Value != "" {
				r.problem(ProblemSyntax, l.File, "write it as lxc.idmap = u|g CONTAINER-ID HOST-ID COUNT, e.g. u 0 100000 65536",
					"%s lxc.idmap = %s: not a valid ID map range, so LXC refuses the config", l.Where(), l.Value)
			}
		}
	}
}

// include reads what an lxc.include line names. Measured with liblxc
// 5.0.2: an empty value is ignored; a folder (named with or without a
// trailing '/') contributes its *.conf files; a missing path ending in '/'
// is skipped silently (common.conf's "common.conf.d/" relies on it); any
// other missing path makes the config unreadable.
func (r *configReader) include(l ConfigLine, depth int) {
	if l.Value == "" {
		return
	}
	if depth >= maxIncludeDepth {
		r.problem(ProblemInclude, l.File, "remove the include loop",
			"%s lxc.include = %s: includes nest more than %d deep (a loop?)", l.Where(), l.Value, maxIncludeDepth)
		return
	}
	// The file's device path, as messages and edits name it.
	target := path.Clean("/" + l.Value)
	info, err := inroot.Stat(r.root, target)
	switch {
	case errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(l.Value, "/"):
		return
	case errors.Is(err, fs.ErrNotExist):
		r.problem(ProblemInclude, l.File,
			fmt.Sprintf("put %s into the target, or remove the line (every path in the config is a path on the device)", l.Value),
			"%s lxc.include = %s: not in the target, so LXC refuses the config", l.Where(), l.Value)
		return
	case err != nil:
		r.problem(ProblemInclude, l.File, "make it readable", "%s lxc.include = %s: %v", l.Where(), l.Value, err)
		return
	}
	if !info.IsDir() {
		r.includeFile(l, target, depth)
		return
	}
	names, err := confFiles(r.root, target)
	if err != nil {
		r.problem(ProblemInclude, l.File, "make the folder readable", "%s lxc.include = %s: %v", l.Where(), l.Value, err)
		return
	}
	for _, n := range names {
		r.includeFile(l, path.Join(target, n), depth)
	}
}

func (r *configReader) includeFile(l ConfigLine, name string, depth int) {
	data, err := inroot.ReadFile(r.root, name)
	if err != nil {
		r.problem(ProblemInclude, l.File, fmt.Sprintf("make %s a readable file", name),
			"%s lxc.include = %s: read %s: %v", l.Where(), l.Value, name, err)
		return
	}
	r.parse(name, data, depth+1)
}

// confFiles lists the *.conf entries of a folder, sorted (LXC takes them in
// directory order, which the target does not fix; sorted is the common
// case of a freshly written folder and keeps reports stable).
func confFiles(root inroot.FS, dir string) ([]string, error) {
	entries, err := inroot.ReadDir(root, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".conf") && len(n) > len(".conf") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}
