package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// uidmapTools are shadow's helpers; when the device has them, LXC started by
// root maps IDs through them, and they refuse any range /etc/subuid or
// /etc/subgid does not grant to root.
var uidmapTools = []string{"/usr/bin/newuidmap", "/bin/newuidmap", "/usr/bin/newgidmap", "/bin/newgidmap"}

// planSubIDGrants adds the missing grants of the map's host ranges to the
// target's /etc/subuid and /etc/subgid, when the target has the tools.
func (p *Plan) planSubIDGrants(m lxc.IDMap) error {
	has := false
	for _, tool := range uidmapTools {
		if _, err := inroot.Stat(p.root, tool); err == nil {
			has = true
			break
		}
	}
	if !has {
		return nil
	}
	uid, gid := m.HostRanges()
	for _, f := range []struct {
		file string
		need []lxc.Range
	}{{"/etc/subuid", uid}, {"/etc/subgid", gid}} {
		content, err := inroot.ReadFile(p.root, f.file)
		missingFile := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missingFile {
			return fmt.Errorf("read %s: %w", inroot.Describe(p.root, f.file), err)
		}
		lines, err := lxc.MissingGrants(content, f.need)
		if err != nil {
			return fmt.Errorf("%s: %w: fix the line, nothing was changed", inroot.Describe(p.root, f.file), err)
		}
		e := &Edit{Path: f.file, Old: content, New: content, missing: missingFile,
			Why: "root already has the subordinate IDs the ID map needs"}
		if len(lines) > 0 {
			e.New = lxc.AddGrants(content, lines)
			e.Why = "grant root " + strings.Join(lines, ", ") + " (the device has newuidmap/newgidmap, which refuse ungranted ranges)"
		}
		p.Edits = append(p.Edits, e)
	}
	return nil
}
