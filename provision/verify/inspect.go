package verify

import (
	"fmt"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// inspectCommand is how to look at the running container on the device
// with LXC's own tools. LXC parses the container's config for lxc-info
// and lxc-ls too, and refuses it while a variable that an
// "lxc.environment = NAME" line inherits is unset ("Failed to load config
// ... lxc.environment = MESSAGE_DISPATCHER_CONFIG"); Thunder has it set,
// a shell on the device does not. The line cannot go: without it the
// hosting process asserts. So the command sets each such variable (the
// value Thunder gives MESSAGE_DISPATCHER_CONFIG, any other value for the
// rest: only being set counts). PATH is set in every shell.
func (t *target) inspectCommand(cfg *lxc.Config, containerDir string) string {
	var env []string
	for _, l := range cfg.All("lxc.environment") {
		name := l.Value
		if name == "" || strings.Contains(name, "=") || name == "PATH" {
			continue
		}
		value := "1"
		if name == "MESSAGE_DISPATCHER_CONFIG" {
			value = t.processes.MessageDispatcherConfig()
		}
		env = append(env, fmt.Sprintf("%s='%s'", name, value))
	}
	return fmt.Sprintf("%slxc-info -P %s -n %s", strings.Join(append(env, ""), " "), path.Dir(containerDir), path.Base(containerDir))
}
