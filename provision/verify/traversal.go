package verify

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkTraversal: with an ID map, LXC reaches the rootfs and the bind-mount
// sources as the container's root, an unprivileged host user, which must be
// able to enter every folder on the way (lxc.RootCannotSearch says how that
// was measured). Each folder that stops it is named once.
func (t *target) checkTraversal(cfg *lxc.Config, m lxc.IDMap, rootfsPath string, found *findings) {
	type way struct {
		name, what string
		self       bool
	}
	ways := []way{{rootfsPath, "the rootfs " + rootfsPath, true}}
	for _, e := range t.mountEntries(cfg) {
		if isBind(e) && path.IsAbs(e.source) {
			ways = append(ways, way{path.Clean(e.source), fmt.Sprintf("%s's bind source %s", e.line.Where(), e.source), false})
		}
	}
	named := map[string]bool{}
	for _, w := range ways {
		b, err := lxc.RootCannotSearch(t.root, m, w.name, w.self, t.statFunc(), t.mountedAtRunTime)
		if err != nil {
			found.errorf(CheckTraversal, w.name, "make it readable", "%v", err)
			continue
		}
		if b == nil || named[b.Folder] {
			continue
		}
		named[b.Folder] = true
		uid, _ := m.HostUID(0)
		found.errorf(CheckTraversal, b.Folder,
			fmt.Sprintf("chmod o+x %s in the image (a Buildroot post-build script: chmod 755 %s), or give it an ACL for host uid %d (setfacl -m u:%d:x %s)", b.Folder, b.Folder, uid, uid, b.Folder),
			"%s, and it is on the way to %s: LXC, which sets the container up as that user, refuses to start the container (\"Could not access ... Please grant it x access, or add an ACL for the container root\"); WPEFramework R4.4's install leaves / at 0770 so",
			b.Describe(m), w.what)
	}
}

// statFunc reads a folder's owner and mode as the image will have them
// (inside a fakeroot or pseudo session, the session's).
func (t *target) statFunc() lxc.StatFunc {
	return func(devicePath string, info fs.FileInfo) (lxc.Owner, fs.FileMode, error) {
		uid, gid, mode := t.ownerMode(t.root, devicePath, info)
		return lxc.Owner{UID: uid, GID: gid}, mode, nil
	}
}

// mountedAtRunTime tells whether the device folder is one whose mode the
// image does not decide: a kernel filesystem, a run-time tmpfs, the
// folders Thunder shares with the hosting process.
func (t *target) mountedAtRunTime(devicePath string) bool {
	return lxc.MountedAtRunTime(devicePath, t.processes.SharedFolders()...)
}
