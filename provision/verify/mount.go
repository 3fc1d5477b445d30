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

// checkVolatileMount: Thunder hands the plugin host paths under its
// volatile path (/tmp/communicator, ...), so that folder must be
// bind-mounted to the same place in the container. LXC takes a mount
// entry's target relative to the rootfs, so "tmp" and
// "<rootfs path>/tmp" are the same, while "/tmp" is ignored.
func (t *target) checkVolatileMount(cfg *lxc.Config, rootfs *os.Root, rootfsPath string, fs *findings) {
	vol := path.Clean(t.layout.VolatilePath)
	want := strings.TrimPrefix(vol, "/")
	var ignored *mountEntry
	for _, m := range t.mountEntries(cfg) {
		if path.Clean(m.source) != vol || !isBind(m) {
			continue
		}
		point, ok := mountPoint(m.target, rootfsPath)
		if !ok && ignored == nil {
			ignored = &m
		}
		if point != want {
			continue
		}
		// Without create=dir LXC needs the mount point in the rootfs.
		if !slices.Contains(m.options, "create=dir") && !slices.Contains(m.options, "optional") && !isDir(rootfs, want) {
			fs.errorf(CheckVolatileMount, m.line.File, "add create=dir to the options, or create the folder in the rootfs",
				"%s mounts %s onto %s, which the rootfs lacks, and without create=dir LXC fails to start the container",
				m.line.Where(), vol, want)
		}
		return
	}
	msg := fmt.Sprintf("no lxc.mount.entry bind-mounts %s onto %s: Thunder passes the plugin paths under %s (its communicator socket), which the container would not see",
		vol, want, vol)
	if ignored != nil {
		msg += fmt.Sprintf(" (%s %s mounts it onto %s, an absolute path outside the rootfs, which LXC ignores)", ignored.line.File, ignored.line.Where(), ignored.target)
	}
	fs.errorf(CheckVolatileMount, cfg.Path, fmt.Sprintf("add lxc.mount.entry = %s %s none bind,create=dir 0 0", vol, want), "%s", msg)
}
