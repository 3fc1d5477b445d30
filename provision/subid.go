package provision

import (
	"fmt"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// planSubIDGrants appends root's missing grants of the map's host ranges to
// the target's /etc/subuid and /etc/subgid, for each of shadow's helpers the
// target has (verify checks the same files the same way).
func (p *Plan) planSubIDGrants(m lxc.IDMap) error {
	files, err := lxc.SubIDGrants(p.target, m)
	if err != nil {
		return fmt.Errorf("%w: fix the line", err)
	}
	for _, f := range files {
		e := &Edit{Path: f.File, Old: f.Content, New: f.Content, missing: !f.Exists,
			Why: "root already has the subordinate IDs the ID map needs"}
		if len(f.Missing) > 0 {
			e.New = lxc.AddGrants(f.Content, f.Missing)
			if p.grantsAdded == nil {
				p.grantsAdded = map[string][]string{}
			}
			p.grantsAdded[f.File] = f.Missing
			e.Why = fmt.Sprintf("grant root %s (the device has %s, which refuses ungranted ranges)", strings.Join(f.Missing, ", "), f.Tool)
		}
		p.Edits = append(p.Edits, e)
	}
	return nil
}
