package lxc

import (
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// MountEntry is one fstab-format mount of a container config: an
// lxc.mount.entry line or a line of an lxc.mount.fstab file.
type MountEntry struct {
	Line    ConfigLine
	Source  string
	Target  string
	Options []string
}

// IsBind tells whether the entry bind-mounts its source.
func (e MountEntry) IsBind() bool {
	return slices.Contains(e.Options, "bind") || slices.Contains(e.Options, "rbind")
}

// MountEntries returns the lxc.mount.entry lines and the lines of every
// lxc.mount.fstab file (read from root, the device's filesystem), in
// order; comments and lines of fewer than four fields are left out.
func (c *Config) MountEntries(root inroot.FS) []MountEntry {
	var lines []ConfigLine
	for _, l := range c.Lines {
		switch l.Key {
		case "lxc.mount.entry":
			lines = append(lines, l)
		case "lxc.mount.fstab":
			data, err := inroot.ReadFile(root, l.Value)
			if err != nil {
				continue
			}
			for i, text := range strings.Split(string(data), "\n") {
				lines = append(lines, ConfigLine{File: l.Value, Line: i + 1, Key: l.Key, Value: strings.TrimSpace(text)})
			}
		}
	}
	var out []MountEntry
	for _, l := range lines {
		f := strings.Fields(l.Value)
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, MountEntry{Line: l, Source: f[0], Target: f[1], Options: strings.Split(f[3], ",")})
	}
	return out
}

// MountPoint returns where in the rootfs LXC mounts an entry whose target
// is target, relative to the rootfs ("tmp"). A relative target is relative
// to the rootfs. An absolute one counts only when it holds the rootfs path
// (rootfsPath, "dir:" stripped), and means what follows it; any other
// absolute target LXC ignores with a mere warning (measured with liblxc
// 5.0.2: "/tmp /tmp none bind" and "/testshare /TestLogging none bind"
// started the container and mounted nothing). ok is false then.
func MountPoint(target, rootfsPath string) (string, bool) {
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
