package lxc

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// SubIDFile is one of shadow's map helpers found in a target and what the
// file it reads still lacks. LXC started by root maps a container's IDs
// through newuidmap/newgidmap when the device has them, and they refuse
// every range /etc/subuid or /etc/subgid does not grant to root.
type SubIDFile struct {
	// Tool is the helper's device path (/usr/bin/newuidmap).
	Tool string
	// File is the device path of the file it reads (/etc/subuid).
	File string
	// Content is the file as it is; Exists is false when it is missing.
	Content []byte
	Exists  bool
	// Missing are the lines ("root:100000:65536") root still needs.
	Missing []string
}

// SubIDError names the subuid/subgid file that could not be used.
type SubIDError struct {
	File string // device path
	Err  error
}

func (e *SubIDError) Error() string { return e.Err.Error() }
func (e *SubIDError) Unwrap() error { return e.Err }

// subIDTools pairs each helper with its file and the side of the map it uses.
var subIDTools = []struct {
	tool, file string
	uids       bool
}{
	{"newuidmap", "/etc/subuid", true},
	{"newgidmap", "/etc/subgid", false},
}

// SubIDGrants returns, for each helper the target has (in /usr/bin or
// /bin), the grants root needs for the map m. A file that cannot be read or
// has a malformed line is an error naming it.
func SubIDGrants(root inroot.FS, m IDMap) ([]SubIDFile, error) {
	uid, gid := m.HostRanges()
	var out []SubIDFile
	for _, t := range subIDTools {
		tool := findTool(root, t.tool)
		if tool == "" {
			continue
		}
		f := SubIDFile{Tool: tool, File: t.file, Exists: true}
		var err error
		f.Content, err = inroot.ReadFile(root, t.file)
		if errors.Is(err, fs.ErrNotExist) {
			f.Exists = false
		} else if err != nil {
			return nil, &SubIDError{File: t.file, Err: fmt.Errorf("read %s: %w", inroot.Describe(root, t.file), err)}
		}
		need := gid
		if t.uids {
			need = uid
		}
		if f.Missing, err = MissingGrants(f.Content, need); err != nil {
			return nil, &SubIDError{File: t.file, Err: fmt.Errorf("%s: %w", inroot.Describe(root, t.file), err)}
		}
		out = append(out, f)
	}
	return out, nil
}

// findTool returns where shadow installs name in the target, or "".
func findTool(root inroot.FS, name string) string {
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := dir + "/" + name
		if info, err := inroot.Stat(root, p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}
