package verify

import (
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// CheckLeftover names findings about the target as a whole: what a
// thunder-lxc run that did not end left in it, or a run at work.
const CheckLeftover = "leftover"

// leftoverFiles are files a run edits besides the plugin configs, the
// LXC config files and Thunder's main config (the messaging folder).
var leftoverFiles = []string{"/etc/subuid", "/etc/subgid"}

// checkLeftovers reports what runs that did not end left in the target
// (a staging folder with half a container, temporary files of edits,
// old files kept for undo): they would end up in the flashed image. The
// next provision run removes them. A run at work holds the target's lock:
// its files are then no leftovers, and the target is not final yet.
func (t *target) checkLeftovers(fs *findings) {
	lock, ok, err := inroot.TryLock(t.root, false)
	if err != nil {
		fs.notef(CheckLeftover, "/", "look for .thunder-lxc-* files and folders by hand",
			"cannot tell what runs that did not end left: %v", err)
		return
	}
	if !ok {
		fs.notef(CheckLeftover, "/", "verify again when the run has ended",
			"a thunder-lxc run is changing the target now, so what is checked may change")
		return
	}
	defer lock.Close()
	files := append(append(lxc.ConfigFiles(t.root, lxc.Includes(true)), leftoverFiles...), t.layout.Config)
	for _, l := range inroot.Leftovers(t.root, inroot.LeftoverPlaces(t.root, t.layout.DataPath, t.layout.PluginDirs, files)) {
		fs.errorf(CheckLeftover, "/"+l,
			"run thunder-lxc provision again (it removes what runs that did not end left), or remove it by hand",
			"left by a thunder-lxc run that did not end (killed, or the machine went down): it would end up in the image")
	}
}
