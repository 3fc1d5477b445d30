package verify

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// inheritedPATH is what a bare "lxc.environment = PATH" passes on
// (thunder.DevicePATH).
const inheritedPATH = thunder.DevicePATH

// checkHostProcess: Thunder starts the bare name ThunderPlugin (R5+) or
// WPEProcess (R4) inside the container, so the container's PATH must lead
// to a regular executable file of that name inside the rootfs.
func (t *target) checkHostProcess(cfg *lxc.Config, rootfs *os.Root, rootfsPath string, fs *findings) {
	prog := t.layout.HostProcess
	if prog == "" {
		return
	}
	pathValue, from := inheritedPATH, "the PATH Thunder passes on (assumed "+inheritedPATH+")"
	for _, l := range cfg.All("lxc.environment") {
		if v, ok := strings.CutPrefix(l.Value, "PATH="); ok {
			pathValue, from = v, fmt.Sprintf("lxc.environment PATH=%s (%s %s)", v, l.File, l.Where())
		}
	}
	var notExec []string
	for _, dir := range strings.Split(pathValue, ":") {
		if !path.IsAbs(dir) {
			continue // an empty or relative entry means the working folder, which is not fixed
		}
		candidate := path.Join(dir, prog)
		info, err := inroot.Stat(rootfs, candidate)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if info.Mode().Perm()&0o111 != 0 {
			return
		}
		notExec = append(notExec, candidate)
	}
	msg := fmt.Sprintf("%s is not on the container's PATH: no executable %s in %s of the rootfs %s, so Thunder cannot start the plugin",
		prog, prog, from, rootfsPath)
	if len(notExec) > 0 {
		msg += fmt.Sprintf(" (%s is there but not executable)", strings.Join(notExec, ", "))
	}
	fs.errorf(CheckHostProcess, path.Join(rootfsPath, "usr/bin", prog),
		fmt.Sprintf("install Thunder's %s into the container's rootfs (e.g. /usr/bin/%s, mode 755), or set lxc.environment = PATH=... to its folder", prog, prog),
		"%s", msg)
}
