package lxcrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// SubIDFiles are the files newuidmap and newgidmap read root's grants from.
var SubIDFiles = [2]string{"/etc/subuid", "/etc/subgid"}

// ShowGrants lets LXC started by root in the view use the host ranges uid
// and gid: LXC goes through newuidmap and newgidmap when they are
// installed, and they refuse ranges that /etc/subuid and /etc/subgid do not
// grant root. The build host's files are never changed: the view shows
// copies of them with the missing lines added. It returns what it added,
// one sentence per file, for the report.
func ShowGrants(v *mountns.View, uid, gid []lxc.Range) ([]string, error) {
	var notes []string
	for i, need := range [2][]lxc.Range{uid, gid} {
		file := SubIDFiles[i]
		if len(need) == 0 {
			continue
		}
		content, err := os.ReadFile(file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing, err := lxc.MissingGrants(content, need)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(missing) == 0 {
			continue
		}
		v.BindData(file, lxc.AddGrants(content, missing))
		notes = append(notes, fmt.Sprintf("the build host's %s lacks %s, which newuidmap and newgidmap need for the container's ID map: LXC sees a copy with it added, the file itself is unchanged",
			file, strings.Join(missing, ", ")))
	}
	return notes, nil
}
