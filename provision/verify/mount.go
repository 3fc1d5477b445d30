package verify

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// mountEntry is one fstab-format mount of the container.
type mountEntry struct {
	line    lxc.ConfigLine
	source  string
	target  string
	options []string
}

// mountEntries returns the lxc.mount.entry lines and the lines of every
// lxc.mount.fstab file in the target (lxc.Config.MountEntries).
func (t *target) mountEntries(cfg *lxc.Config) []mountEntry {
	var out []mountEntry
	for _, e := range cfg.MountEntries(t.root) {
		out = append(out, mountEntry{line: e.Line, source: e.Source, target: e.Target, options: e.Options})
	}
	return out
}

// mountPoint is lxc.MountPoint: where in the rootfs LXC mounts an entry.
func mountPoint(target, rootfsPath string) (string, bool) {
	return lxc.MountPoint(target, rootfsPath)
}

func isBind(m mountEntry) bool {
	return slices.Contains(m.options, "bind") || slices.Contains(m.options, "rbind")
}

// checkSharedFolders: Thunder shares folders with the plugin's hosting
// process, which must see each at its own path in the container
// (thunder.Processes.SharedFolders): its volatile path, and the folder of
// its communicator socket when that is elsewhere. LXC takes a mount
// entry's target relative to the rootfs, so "tmp" and "<rootfs path>/tmp"
// are the same, while "/tmp" is ignored. Measured with Thunder R5.3: with
// the volatile path /var/volatile mounted onto tmp, or at its own path
// without /tmp (the socket's folder), activation fails.
func (t *target) checkSharedFolders(cfg *lxc.Config, rootfs *os.Root, rootfsPath string, fs *findings) {
	socket, _ := t.processes.CommunicatorSocket()
	for i, dir := range t.processes.SharedFolders() {
		check, why := CheckVolatileMount, fmt.Sprintf("Thunder hands the hosting process paths in its volatile path %s and keeps the message buffers there", dir)
		if i > 0 {
			check, why = CheckCommunicatorMount, fmt.Sprintf("the hosting process connects to Thunder's communicator socket %s", socket)
		}
		t.checkMountedAtOwnPath(cfg, rootfs, rootfsPath, dir, check, why, fs)
	}
}

// checkMountedAtOwnPath: some bind mount entry shows the device folder dir
// at the same path in the container: its source is dir or a folder above
// it, mounted at its own path.
func (t *target) checkMountedAtOwnPath(cfg *lxc.Config, rootfs *os.Root, rootfsPath, dir, check, why string, fs *findings) {
	want := strings.TrimPrefix(dir, "/")
	var ignored, elsewhere *mountEntry
	for _, m := range t.mountEntries(cfg) {
		source := path.Clean(m.source)
		if !isBind(m) || !under(dir, source) {
			continue
		}
		point, ok := mountPoint(m.target, rootfsPath)
		switch {
		case !ok:
			if ignored == nil {
				ignored = &m
			}
			continue
		case point != strings.TrimPrefix(source, "/"):
			if elsewhere == nil {
				elsewhere = &m
			}
			continue
		}
		// Without create=dir LXC needs the mount point in the rootfs.
		if !slices.Contains(m.options, "create=dir") && !slices.Contains(m.options, "optional") && !isDir(rootfs, point) {
			fs.errorf(check, m.line.File, "add create=dir to the options, or create the folder in the rootfs",
				"%s mounts %s onto %s, which the rootfs lacks, and without create=dir LXC fails to start the container",
				m.line.Where(), source, point)
		}
		return
	}
	msg := fmt.Sprintf("no lxc.mount.entry bind-mounts %s onto %s: %s, and the container would not show it there", dir, want, why)
	switch {
	case elsewhere != nil:
		msg += fmt.Sprintf(" (%s %s mounts it onto %s, another path: Thunder passes the hosting process device paths, which must be the same inside)",
			elsewhere.line.File, elsewhere.line.Where(), elsewhere.target)
	case ignored != nil:
		msg += fmt.Sprintf(" (%s %s mounts it onto %s, an absolute path outside the rootfs, which LXC ignores)", ignored.line.File, ignored.line.Where(), ignored.target)
	}
	fs.errorf(check, cfg.Path, fmt.Sprintf("add lxc.mount.entry = %s %s none bind,create=dir 0 0", dir, want), "%s", msg)
}
