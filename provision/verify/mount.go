package verify

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
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
// lxc.mount.fstab file in the target.
func (t *target) mountEntries(cfg *lxc.Config) []mountEntry {
	var lines []lxc.ConfigLine
	for _, l := range cfg.Lines {
		switch l.Key {
		case "lxc.mount.entry":
			lines = append(lines, l)
		case "lxc.mount.fstab":
			data, err := inroot.ReadFile(t.root, l.Value)
			if err != nil {
				continue
			}
			for i, text := range strings.Split(string(data), "\n") {
				lines = append(lines, lxc.ConfigLine{File: l.Value, Line: i + 1, Key: l.Key, Value: strings.TrimSpace(text)})
			}
		}
	}
	var out []mountEntry
	for _, l := range lines {
		f := strings.Fields(l.Value)
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, mountEntry{line: l, source: f[0], target: f[1], options: strings.Split(f[3], ",")})
	}
	return out
}

// mountPoint returns where in the rootfs LXC mounts an entry whose target
// is target, relative to the rootfs ("tmp"). A relative target is relative
// to the rootfs. An absolute one counts only when it holds the rootfs path
// (rootfsPath, "dir:" stripped), and means what follows it; any other
// absolute target LXC ignores with a mere warning (measured with liblxc
// 5.0.2: "/tmp /tmp none bind" and "/testshare /TestLogging none bind"
// started the container and mounted nothing). ok is false then.
func mountPoint(target, rootfsPath string) (string, bool) {
	if !strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean("/"+target), "/"), true
	}
	// liblxc looks for the rootfs path anywhere in the target (strstr).
	i := strings.Index(target, rootfsPath)
	if i < 0 {
		return "", false
	}
	return strings.TrimPrefix(path.Clean("/"+target[i+len(rootfsPath):]), "/"), true
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
