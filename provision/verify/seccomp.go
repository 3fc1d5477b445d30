package verify

import (
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// libLXCResult is the target's liblxc as lxc.FindLibLXC saw it.
type libLXCResult struct {
	lib   lxc.LibLXC
	found bool
	err   error
}

func (t *target) libLXC() *libLXCResult {
	if t.lib == nil {
		lib, found, err := lxc.FindLibLXC(t.root)
		t.lib = &libLXCResult{lib: lib, found: found, err: err}
	}
	return t.lib
}

// checkSeccomp: since LXC 4.0.11 a liblxc built without libseccomp refuses
// every lxc.seccomp.* key, so a config that sets one (itself or through an
// included file such as common.conf) is skipped and Thunder reports the
// container as not found.
func (t *target) checkSeccomp(cfg *lxc.Config, fs *findings) {
	lib := t.libLXC()
	switch {
	case lib.err != nil:
		fs.notef(CheckLibLXC, cfg.Path, "check that the target's liblxc is a shared library built for it",
			"cannot tell whether the target's liblxc has seccomp: %v", lib.err)
		return
	case !lib.found:
		fs.notef(CheckLibLXC, "/usr/lib/liblxc.so.1", "build LXC into the image (Buildroot: BR2_PACKAGE_LXC)",
			"the target has no liblxc.so in its library folders: Thunder's LXC container support needs it on the device")
		return
	case lib.lib.Seccomp:
		return
	}
	for _, l := range cfg.Lines {
		if !strings.HasPrefix(l.Key, "lxc.seccomp.") {
			continue
		}
		fs.errorf(CheckSeccomp, l.File,
			"comment the line out (thunder-lxc provision does, for common.conf) or build LXC with libseccomp (Buildroot: BR2_PACKAGE_LIBSECCOMP)",
			"%s %s = %s: the target's liblxc (%s) is built without libseccomp, and since LXC 4.0.11 such a liblxc refuses the whole config",
			l.Where(), l.Key, l.Value, lib.lib.Path)
	}
}

// seccompActive tells whether a seccomp profile is loaded when the
// container starts: the last lxc.seccomp.profile has a value.
func seccompActive(cfg *lxc.Config) bool {
	l, ok := cfg.Last("lxc.seccomp.profile")
	return ok && l.Value != ""
}
