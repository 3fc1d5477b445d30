// Package applyfile reads the YAML files of `thunder-lxc apply`: many
// containers in one file, whose keys are provision's flag names without
// the dashes. Top-level keys are defaults for every container; each entry
// of the containers list names a callsign and overrides any of them; the
// command line overrides the file. Reading collects every problem, each
// named by its place in the file (containers[1].keep-id[0]).
package applyfile

// kind is the YAML shape of a key's value.
type kind int

const (
	kindString kind = iota
	kindPath        // a string naming a build-host file, relative to the apply file
	kindInt
	kindBool
	kindInts    // a list of numbers (or one number)
	kindStrings // a list of strings (or one string)
)

// scope is where a key may be given.
type scope int

const (
	anywhere scope = iota
	topOnly        // one value for the whole target
)

type key struct {
	kind  kind
	scope scope
	why   string // why topOnly
}

// keys are provision's flags an apply file may set, by name.
var keys = map[string]key{
	"target":        {kindPath, topOnly, "the whole file is applied to one target"},
	"layout":        {kindString, topOnly, "one target has one layout"},
	"seccomp":       {kindString, topOnly, "common.conf is one file for every container"},
	"kernel-config": {kindPath, topOnly, "common.conf is one file for every container"},
	"rootfs":        {kindPath, anywhere, ""},
	"idmap-base":    {kindInt, anywhere, ""},
	"idmap-size":    {kindInt, anywhere, ""},
	"no-idmap":      {kindBool, anywhere, ""},
	"keep-id":       {kindInts, anywhere, ""},
	"keep-uid":      {kindInts, anywhere, ""},
	"keep-gid":      {kindInts, anywhere, ""},
	"shift-ids":     {kindBool, anywhere, ""},
	"share":         {kindStrings, anywhere, ""},
	"share-mode":    {kindString, anywhere, ""},
	"env":           {kindStrings, anywhere, ""},
	"net":           {kindString, anywhere, ""},
	"arch":          {kindString, anywhere, ""},
	"hostname":      {kindString, anywhere, ""},
	"console-log":   {kindString, anywhere, ""},
	"template":      {kindPath, anywhere, ""},
	"force":         {kindBool, anywhere, ""},
}

// Keys are the names of the keys an apply file may set (besides
// containers, callsign and remove), for a command to offer them as flags.
func Keys() []string {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	return names
}
