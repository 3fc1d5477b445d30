package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// configLine is one "lxc.key = value" line of a config or an included file.
type configLine struct {
	File  string // device path
	Line  int
	Key   string
	Value string
}

func (l configLine) where() string { return fmt.Sprintf("line %d", l.Line) }

// lxcConfig is a container config with its includes expanded in place, in
// the order LXC reads them.
type lxcConfig struct {
	Path  string
	Lines []configLine
}

// all returns the lines setting key, in order.
func (c *lxcConfig) all(key string) []configLine {
	var out []configLine
	for _, l := range c.Lines {
		if l.Key == key {
			out = append(out, l)
		}
	}
	return out
}

// last returns the line that decides a single-valued key: LXC keeps the
// last assignment.
func (c *lxcConfig) last(key string) (configLine, bool) {
	lines := c.all(key)
	if len(lines) == 0 {
		return configLine{}, false
	}
	return lines[len(lines)-1], true
}

// maxIncludeDepth stops include loops; LXC has no limit of its own and
// would recurse until it runs out of memory.
const maxIncludeDepth = 16

// configReader reads a config the way liblxc 5 does; what it cannot read
// becomes a finding.
type configReader struct {
	root     *os.Root
	findings *findings
	cfg      *lxcConfig
}

// readConfig parses the config at the device path p and every file it
// includes. Parse rules, as measured against liblxc 5.0.2 (lxc-info on
// crafted configs): leading and trailing blanks (and a CR) are ignored;
// blank lines and lines starting with '#' are comments; there are no
// comments after a value; a line not starting with "lxc." is ignored; an
// "lxc." line without '=' makes the whole config unreadable.
func readConfig(root *os.Root, p string, fs *findings) (*lxcConfig, error) {
	r := &configReader{root: root, findings: fs, cfg: &lxcConfig{Path: p}}
	data, err := inroot.ReadFile(root, p)
	if err != nil {
		return nil, err
	}
	r.parse(p, data, 0)
	return r.cfg, nil
}

func (r *configReader) parse(file string, data []byte, depth int) {
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "lxc.") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			r.findings.errorf(CheckSyntax, file, "write it as key = value, or comment it out with '#'",
				"line %d %q has no '=': LXC refuses the whole config", i+1, line)
			continue
		}
		l := configLine{File: file, Line: i + 1, Key: strings.TrimSpace(key), Value: strings.TrimSpace(value)}
		checkKey(l, r.findings)
		r.cfg.Lines = append(r.cfg.Lines, l)
		if l.Key == "lxc.include" {
			r.include(l, depth)
		}
	}
}

// include reads what an lxc.include line names. Measured with liblxc
// 5.0.2: an empty value is ignored; a folder (named with or without a
// trailing '/') contributes its *.conf files; a missing path ending in '/'
// is skipped silently (common.conf's "common.conf.d/" relies on it); any
// other missing path makes the config unreadable.
func (r *configReader) include(l configLine, depth int) {
	if l.Value == "" {
		return
	}
	if depth >= maxIncludeDepth {
		r.findings.errorf(CheckInclude, l.File, "remove the include loop",
			"%s lxc.include = %s: includes nest more than %d deep (a loop?)", l.where(), l.Value, maxIncludeDepth)
		return
	}
	info, err := inroot.Stat(r.root, l.Value)
	switch {
	case errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(l.Value, "/"):
		return
	case errors.Is(err, fs.ErrNotExist):
		r.findings.errorf(CheckInclude, l.File,
			fmt.Sprintf("put %s into the target, or remove the line (every path in the config is a path on the device)", l.Value),
			"%s lxc.include = %s: not in the target, so LXC refuses the config", l.where(), l.Value)
		return
	case err != nil:
		r.findings.errorf(CheckInclude, l.File, "make it readable", "%s lxc.include = %s: %v", l.where(), l.Value, err)
		return
	}
	if !info.IsDir() {
		r.includeFile(l, l.Value, depth)
		return
	}
	names, err := confFiles(r.root, l.Value)
	if err != nil {
		r.findings.errorf(CheckInclude, l.File, "make the folder readable", "%s lxc.include = %s: %v", l.where(), l.Value, err)
		return
	}
	for _, n := range names {
		r.includeFile(l, path.Join(l.Value, n), depth)
	}
}

func (r *configReader) includeFile(l configLine, name string, depth int) {
	data, err := inroot.ReadFile(r.root, name)
	if err != nil {
		r.findings.errorf(CheckInclude, l.File, fmt.Sprintf("make %s a readable file", name),
			"%s lxc.include = %s: read %s: %v", l.where(), l.Value, name, err)
		return
	}
	r.parse(name, data, depth+1)
}

// confFiles lists the *.conf entries of a folder, sorted (LXC takes them in
// directory order, which the target does not fix; sorted is the common
// case of a freshly written folder and keeps reports stable).
func confFiles(root *os.Root, dir string) ([]string, error) {
	resolved, err := inroot.Resolve(root, dir, true)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(root.FS(), resolved)
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
