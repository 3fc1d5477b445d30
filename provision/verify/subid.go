package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkSubIDs: when the target has shadow's newuidmap/newgidmap, LXC maps
// the container's IDs through them even as root, and they refuse every
// host range /etc/subuid or /etc/subgid does not grant to root; the
// container then fails to start. provision grants the same lines.
func (t *target) checkSubIDs(m lxc.IDMap, findings *findings) {
	files, err := lxc.SubIDGrants(t.root, m)
	if err != nil {
		file := "/etc/subuid"
		var subErr *lxc.SubIDError
		if errors.As(err, &subErr) {
			file = subErr.File
		}
		findings.errorf(CheckSubID, file, "write each line as name:start:count and make the file readable", "%v", err)
		return
	}
	for _, f := range files {
		if len(f.Missing) == 0 {
			continue
		}
		findings.errorf(CheckSubID, f.File,
			fmt.Sprintf("add the line(s) %s to %s", strings.Join(f.Missing, ", "), f.File),
			"the target has %s, through which LXC maps the container's IDs, and %s does not grant root the host IDs of lxc.idmap, so the container does not start",
			f.Tool, f.File)
	}
}
