package applyfile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision"
)

// Settings are values of keys, each with where it was given: a path in the
// file (containers[1].keep-id) or a flag (--keep-id).
type Settings map[string]Value

// Value is one key's value: a string, an int, a bool, []int or []string.
type Value struct {
	V any
	// Where names the value's place, for messages.
	Where string
}

// over returns s with the values of o put over them.
func (s Settings) over(o Settings) Settings {
	out := Settings{}
	for k, v := range s {
		out[k] = v
	}
	for k, v := range o {
		out[k] = v
	}
	return out
}

// request is the provision request the settings ask for, for callsign.
func (s Settings) request(callsign string) provision.Request {
	r := provision.Request{Callsigns: []string{callsign}}
	str := func(k string) string { v, _ := s[k].V.(string); return v }
	num := func(k string) int { v, _ := s[k].V.(int); return v }
	flag := func(k string) bool { v, _ := s[k].V.(bool); return v }
	nums := func(k string) []int { v, _ := s[k].V.([]int); return v }
	strs := func(k string) []string { v, _ := s[k].V.([]string); return v }
	r.Target, r.Source, r.Layout, r.Seccomp = str("target"), str("rootfs"), str("layout"), str("seccomp")
	r.KernelConfig, r.ShareMode, r.Net, r.Arch = str("kernel-config"), str("share-mode"), str("net"), str("arch")
	r.Hostname, r.Template, r.ConsoleLog = str("hostname"), str("template"), str("console-log")
	r.IDMapBase, r.IDMapSize = num("idmap-base"), num("idmap-size")
	r.NoIDMap, r.Force = flag("no-idmap"), flag("force")
	if v, set := s["shift-ids"]; set {
		r.NoShiftIDs = !v.V.(bool)
	}
	r.KeepUIDs = append(slices.Clone(nums("keep-id")), nums("keep-uid")...)
	r.KeepGIDs = append(slices.Clone(nums("keep-id")), nums("keep-gid")...)
	r.Shares, r.Env = strs("share"), strs("env")
	r.SetDefaults()
	return r
}

// name is where the value of a request field that a problem names came
// from: the list item holding the value when there is one.
func (s Settings) name(fe *provision.FieldError) string {
	field := fe.Field
	v, set := s[field]
	if !set && (field == "keep-uid" || field == "keep-gid") {
		field = "keep-id" // kept on both sides, a problem of one side only
		v, set = s[field]
	}
	if !set {
		return field + " (default)"
	}
	i := -1
	switch list := v.V.(type) {
	case []int:
		if value, ok := fe.Value.(int); ok {
			i = slices.Index(list, value)
		}
	case []string:
		if value, ok := fe.Value.(string); ok {
			i = slices.Index(list, value)
		}
	}
	if i < 0 || strings.HasPrefix(v.Where, "-") {
		return v.Where
	}
	return fmt.Sprintf("%s[%d]", v.Where, i)
}

// resolvePaths makes the file's relative paths relative to its folder.
func (s Settings) resolvePaths(dir string) {
	for k, v := range s {
		if p, ok := v.V.(string); ok && keys[k].kind == kindPath && p != "" && p != "-" && !filepath.IsAbs(p) {
			v.V = filepath.Join(dir, p)
			s[k] = v
		}
	}
}
