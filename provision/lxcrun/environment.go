package lxcrun

import (
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// thunderEnvironment is the environment Thunder's liblxc starts the
// container with on the device, as far as the container sees it (LXC
// passes on only the lxc.environment names): PATH and
// MESSAGE_DISPATCHER_CONFIG, then extra NAME=VALUE entries, which replace
// a variable of the same name.
func thunderEnvironment(p thunder.Processes, extra []string) []string {
	env := []string{
		"PATH=" + thunder.DevicePATH,
		"MESSAGE_DISPATCHER_CONFIG=" + p.MessageDispatcherConfig(),
	}
	for _, e := range extra {
		name, _, _ := strings.Cut(e, "=")
		env = slices.DeleteFunc(env, func(have string) bool { return strings.HasPrefix(have, name+"=") })
		env = append(env, e)
	}
	return env
}
