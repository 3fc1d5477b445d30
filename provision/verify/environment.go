package verify

import (
	"fmt"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// setOnDevice are variables Thunder's environment always has, so that
// "lxc.environment = NAME" (inherit) cannot fail for them: PATH comes from
// init, and MESSAGE_DISPATCHER_CONFIG is the Thunder LXC guide's line, set
// by Thunder's messaging for the processes it starts.
var setOnDevice = map[string]bool{"PATH": true, "MESSAGE_DISPATCHER_CONFIG": true}

// checkEnvironment: "lxc.environment = NAME" passes Thunder's value of
// NAME into the container; LXC 5 refuses the config when NAME is unset in
// Thunder's environment on the device (measured with liblxc 5.0.2), which
// cannot be known on the build host.
func (t *target) checkEnvironment(cfg *lxc.Config, fs *findings) {
	for _, l := range cfg.All("lxc.environment") {
		if l.Value == "" || strings.Contains(l.Value, "=") || setOnDevice[l.Value] {
			continue
		}
		fs.notef(CheckEnvironment, l.File,
			fmt.Sprintf("make sure Thunder's environment on the device sets %s, or write lxc.environment = %s=VALUE", l.Value, l.Value),
			"%s lxc.environment = %s: LXC 5 refuses the config if %s is unset in Thunder's environment on the device", l.Where(), l.Value, l.Value)
	}
}
