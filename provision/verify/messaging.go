package verify

import (
	"fmt"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkMessaging: with an ID map, the hosting process runs as an
// unprivileged host user, which can leave its messages (logging, tracing)
// in Thunder's messaging folder only when the folder's mode lets anybody
// create files there (thunder.OpenMessagingMode says how that was
// measured). The container starts either way: a note.
func (t *target) checkMessaging(m lxc.IDMap, fs *findings) {
	p := t.processes
	if p.MessagingOpen() {
		return
	}
	uid, _ := m.HostUID(0)
	mode := "Thunder makes it root's with mode 0755, as messaging.path names no mode"
	if p.MessagingMode != 0 {
		mode = fmt.Sprintf("messaging.path gives it mode %04o", p.MessagingMode)
	}
	fs.notef(CheckMessaging, t.layout.Config,
		fmt.Sprintf(`set "messaging": {"path": %q} in %s (thunder-lxc provision does), or capture the plugin's console output with thunder-lxc provision --console-log FILE and Thunder's -f`, p.OpenMessagingPath(), t.layout.Config),
		"the plugin's hosting process runs as host uid %d and cannot create its message files in %s (%s): the plugin's logging and tracing from inside the container never reach Thunder",
		uid, p.MessagingFolder, mode)
}
