package provision

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/tidwall/gjson"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// planMessaging: with an ID map, the plugin's hosting process runs as an
// unprivileged host user (100000 by default), which cannot create its
// message buffers in Thunder's messaging folder as Thunder makes it (root,
// 0755), so the plugin's logging and tracing never reach Thunder
// (thunder.OpenMessagingMode says how that was measured). The run gives
// the folder mode 0777 in Thunder's main config: "messaging.path"
// "MessageDispatcher" becomes "MessageDispatcher|0777", a reported edit
// that remove undoes. A mode the config already names is the image
// maker's choice: the run leaves it and warns.
func (p *Plan) planMessaging() error {
	if !p.mapped {
		return nil
	}
	hostUID, _ := p.idmap.HostUID(0)
	lost := fmt.Sprintf("the hosting process of an ID-mapped container (host uid %d) cannot create its message files in %s, so the plugin's logging and tracing do not reach Thunder",
		hostUID, p.processes.MessagingFolder)
	data, err := inroot.ReadFile(p.target, p.Layout.Config)
	if errors.Is(err, fs.ErrNotExist) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("target has no %s: with Thunder's defaults %s; a main config with \"messaging\": {\"path\": %q} lets it",
			p.Layout.Config, lost, p.processes.OpenMessagingPath()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", inroot.Describe(p.target, p.Layout.Config), err)
	}
	if p.processes.MessagingOpen() {
		// Listed unchanged, as an earlier run left it: a file the run
		// edits is no part of the source's fingerprint when the target
		// is its own source, whether this run changes it or not.
		p.Edits = append(p.Edits, &Edit{Path: p.Layout.Config, Old: data, New: data,
			Why: fmt.Sprintf("messaging.path %s already lets the hosting process create its message files", messagingPathShown(data))})
		return nil
	}
	if p.processes.MessagingMode != 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s gives the messaging folder mode %04o: %s (a mode such as %q lets it)",
			p.Layout.Config, p.processes.MessagingMode, lost, p.processes.OpenMessagingPath()))
		return nil
	}
	updated, err := thunder.SetMessagingPath(data, p.processes.OpenMessagingPath())
	if err != nil {
		return fmt.Errorf("Thunder config %s: %w", inroot.Describe(p.target, p.Layout.Config), err)
	}
	why := fmt.Sprintf("messaging.path %s → %q: the hosting process of an ID-mapped container (host uid %d) creates its message files in %s",
		messagingPathShown(data), p.processes.OpenMessagingPath(), hostUID, p.processes.MessagingFolder)
	p.Edits = append(p.Edits, &Edit{Path: p.Layout.Config, Why: why, Old: data, New: updated})
	return nil
}

// messagingPathShown is the config's "messaging.path" as a report shows it.
func messagingPathShown(config []byte) string {
	if v := gjson.GetBytes(config, "messaging.path"); v.Exists() {
		return fmt.Sprintf("%q", v.String())
	}
	return "(unset)"
}

// messagingRecord is what a container records of the messaging edit: the
// "messaging.path" before the tool changed it ("" when the key was
// absent), when this run makes the edit, or when an earlier container of
// the tool recorded it and this one, with an ID map too, relies on it.
// nil: nothing to record.
func (p *Plan) messagingRecord(mine []State) *string {
	if !p.mapped {
		return nil
	}
	for _, e := range p.Edits {
		if e.Path == p.Layout.Config && e.Changed() {
			before := gjson.GetBytes(e.Old, "messaging.path").String()
			return &before
		}
	}
	for _, s := range mine {
		if s.MessagingPathBefore != nil && p.processes.MessagingOpen() {
			before := *s.MessagingPathBefore
			return &before
		}
	}
	return nil
}
