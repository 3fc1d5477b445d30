package provision

import (
	"fmt"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// warnConsoleLog: LXC opens the console log when it starts the container
// and fails when the file's folder is missing (measured with Thunder R5.3:
// activation fails with ERROR_OPENING_FAILED). The run makes no device
// folder for it, and warns when the image lacks the folder.
func (p *Plan) warnConsoleLog() {
	file := p.Request.ConsoleLog
	if file == "" {
		return
	}
	dir := path.Dir(file)
	switch lxc.StartFolderState(p.target, dir, p.processes.SharedFolders()...) {
	case lxc.FolderAtRunTime:
		p.Warnings = append(p.Warnings, fmt.Sprintf("the console log %s is in %s, which is not in the image: LXC fails to start the container unless it exists on the device by then", file, dir))
	case lxc.FolderMissing:
		p.Warnings = append(p.Warnings, fmt.Sprintf("the console log %s is in %s, which is not in the target: LXC fails to start the container; create the folder, or log elsewhere", file, dir))
	}
}
