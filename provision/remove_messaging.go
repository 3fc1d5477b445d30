package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// planMessaging puts Thunder's "messaging.path" back as the removed
// containers record it was before the tool opened the messaging folder
// (planMessaging of Plan), once no container of the tool that relies on
// it stays.
func (rp *RemovePlan) planMessaging(removed, remaining []State, staying *stayingContainers) error {
	i := slices.IndexFunc(removed, func(s State) bool { return s.MessagingPathBefore != nil })
	if i < 0 {
		return nil
	}
	if slices.ContainsFunc(remaining, func(s State) bool { return s.MessagingPathBefore != nil }) || staying != nil && len(staying.dirs) > 0 {
		rp.Kept = append(rp.Kept, KeptPath{Path: rp.Layout.Config, Why: "messaging.path keeps the messaging folder open: other containers of thunder-lxc with an ID map remain"})
		return nil
	}
	data, err := inroot.ReadFile(rp.target, rp.Layout.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", inroot.Describe(rp.target, rp.Layout.Config), err)
	}
	before := *removed[i].MessagingPathBefore
	restored, ok, err := thunder.RestoreMessagingPath(data, before)
	if err != nil {
		return fmt.Errorf("Thunder config %s: %w", inroot.Describe(rp.target, rp.Layout.Config), err)
	}
	if !ok {
		rp.Warnings = append(rp.Warnings, fmt.Sprintf("%s: messaging.path changed since thunder-lxc opened the messaging folder: it is left as it is", inroot.Describe(rp.target, rp.Layout.Config)))
		return nil
	}
	was := fmt.Sprintf("%q", before)
	if before == "" {
		was = "unset"
	}
	rp.Edits = append(rp.Edits, &Edit{Path: rp.Layout.Config, Old: data, New: restored,
		Why: "messaging.path back to " + was + ": no container of thunder-lxc with an ID map remains"})
	return nil
}
