package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// subidFiles pairs shadow's map helper with the file it reads.
var subidFiles = []struct {
	tool, file string
	ranges     func(uid, gid []lxc.Range) []lxc.Range
}{
	{"newuidmap", "/etc/subuid", func(uid, _ []lxc.Range) []lxc.Range { return uid }},
	{"newgidmap", "/etc/subgid", func(_, gid []lxc.Range) []lxc.Range { return gid }},
}

// checkSubIDs: when the target has shadow's newuidmap/newgidmap, LXC maps
// the container's IDs through them even as root, and they refuse every
// host range /etc/subuid or /etc/subgid does not grant to root; the
// container then fails to start.
func (t *target) checkSubIDs(m lxc.IDMap, findings *findings) {
	uid, gid := m.HostRanges()
	for _, s := range subidFiles {
		tool := t.findTool(s.tool)
		if tool == "" {
			continue
		}
		content, err := inroot.ReadFile(t.root, s.file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			findings.errorf(CheckSubID, s.file, "make it readable", "read it: %v", err)
			continue
		}
		missing, err := lxc.MissingGrants(content, s.ranges(uid, gid))
		if err != nil {
			findings.errorf(CheckSubID, s.file, "write each line as name:start:count", "%v", err)
			continue
		}
		if len(missing) == 0 {
			continue
		}
		findings.errorf(CheckSubID, s.file,
			fmt.Sprintf("add the line(s) %s to %s", strings.Join(missing, ", "), s.file),
			"the target has %s, through which LXC maps the container's IDs, and %s does not grant root the host IDs of lxc.idmap, so the container does not start",
			tool, s.file)
	}
}

// findTool returns where shadow installs the tool in the target (/usr/bin
// or /bin), or "".
func (t *target) findTool(name string) string {
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := dir + "/" + name
		if isFile(t.root, p) {
			return p
		}
	}
	return ""
}
