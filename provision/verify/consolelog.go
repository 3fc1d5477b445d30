package verify

import (
	"fmt"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkConsoleLog: LXC opens lxc.console.logfile when it starts the
// container and fails when its folder is missing: measured with Thunder
// R5.3 and liblxc 5.0.2, activation then fails with ERROR_OPENING_FAILED.
// A folder mounted at run time (/tmp, /run, Thunder's volatile path) is
// there, and one below it may be made by a service: a note.
func (t *target) checkConsoleLog(cfg *lxc.Config, fs *findings) {
	for _, l := range cfg.All("lxc.console.logfile") {
		if l.Value == "" || !path.IsAbs(l.Value) {
			continue
		}
		dir := path.Dir(path.Clean(l.Value))
		switch lxc.StartFolderState(t.root, dir, t.processes.SharedFolders()...) {
		case lxc.FolderAtRunTime:
			fs.notef(CheckConsoleLog, l.File, fmt.Sprintf("make sure %s exists on the device before Thunder starts the plugin, or log into a folder of the image", dir),
				"%s lxc.console.logfile = %s: %s is not in the image (a folder mounted at run time holds it), and LXC fails to start the container when it is missing", l.Where(), l.Value, dir)
		case lxc.FolderMissing:
			fs.errorf(CheckConsoleLog, l.File, fmt.Sprintf("create the folder %s in the image, or log elsewhere (thunder-lxc provision --console-log FILE)", dir),
				"%s lxc.console.logfile = %s: the folder %s is not in the target, and LXC fails to start the container when it cannot open the file", l.Where(), l.Value, dir)
		}
	}
}
