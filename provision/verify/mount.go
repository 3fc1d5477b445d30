package verify

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// mountEntry is one fstab-format mount of the container.
type mountEntry struct {
	line    configLine
	source  string
	target  string
	options []string
}

// mountEntries returns the lxc.mount.entry lines and the lines of every
// lxc.mount.fstab file in the target.
func (t *target) mountEntries(cfg *lxcConfig) []mountEntry {
	var lines []configLine
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
				lines = append(lines, configLine{File: l.Value, Line: i + 1, Key: l.Key, Value: strings.TrimSpace(text)})
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

// checkVolatileMount: Thunder hands the plugin host paths under its
// volatile path (/tmp/communicator, ...), so that folder must be
// bind-mounted to the same place in the container. LXC takes a mount
// entry's target relative to the rootfs, so "tmp" and "/tmp" are the same.
func (t *target) checkVolatileMount(cfg *lxcConfig, rootfs *os.Root, fs *findings) {
	vol := path.Clean(t.layout.VolatilePath)
	want := strings.TrimPrefix(vol, "/")
	for _, m := range t.mountEntries(cfg) {
		if path.Clean(m.source) != vol || strings.TrimPrefix(path.Clean("/"+m.target), "/") != want {
			continue
		}
		if !slices.Contains(m.options, "bind") && !slices.Contains(m.options, "rbind") {
			continue
		}
		// Without create=dir LXC needs the mount point in the rootfs.
		if !slices.Contains(m.options, "create=dir") && !slices.Contains(m.options, "optional") && !isDir(rootfs, want) {
			fs.errorf(CheckVolatileMount, m.line.File, "add create=dir to the options, or create the folder in the rootfs",
				"%s mounts %s onto %s, which the rootfs lacks, and without create=dir LXC fails to start the container",
				m.line.where(), vol, want)
		}
		return
	}
	fs.errorf(CheckVolatileMount, cfg.Path,
		fmt.Sprintf("add lxc.mount.entry = %s %s none bind,create=dir 0 0", vol, want),
		"no lxc.mount.entry bind-mounts %s onto %s: Thunder passes the plugin paths under %s (its communicator socket), which the container would not see",
		vol, want, vol)
}
