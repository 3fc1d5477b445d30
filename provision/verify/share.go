package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// kernelFS are device folders the kernel fills at run time: a bind source
// there cannot be looked for in the image.
var kernelFS = []string{"/proc", "/sys", "/dev"}

// runtimeFS are device folders that are usually a tmpfs at run time, so a
// bind source there may well be created by a service before the container
// starts: missing in the image is worth a note, not an error.
var runtimeFS = []string{"/run", "/tmp"}

// checkShares checks every mount entry except those of the folders Thunder
// shares with the hosting process (checkSharedFolders'): a bind source must exist on the device, a mount
// point must exist in the rootfs or be created by LXC, and who in the
// container may use a shared folder is explained. Measured with liblxc
// 5.0.2 (lxc-execute): a missing bind source, and a missing mount point
// without create=dir, each make LXC fail to start the container ("Failed to
// mount ... No such file or directory"); an "optional" entry that fails is
// skipped, so such entries are not checked.
func (t *target) checkShares(cfg *lxc.Config, m lxc.IDMap, containerDir, rootfsPath string, rootfs *os.Root, found *findings) {
	entries := t.mountEntries(cfg)
	var mounted []string // mount points of the entries before, in the rootfs
	for _, e := range entries {
		if isBind(e) && slices.Contains(t.processes.SharedFolders(), path.Clean(e.source)) {
			if p, ok := mountPoint(e.target, rootfsPath); ok {
				mounted = append(mounted, p)
			}
			continue
		}
		if slices.Contains(e.options, "optional") {
			continue
		}
		point, ok := mountPoint(e.target, rootfsPath)
		if !ok {
			found.errorf(checkOf(e), e.line.File,
				fmt.Sprintf("write the mount point relative to the rootfs, e.g. %s", strings.TrimPrefix(path.Clean(e.target), "/")),
				"%s mounts %s onto %s, an absolute path outside the rootfs %s: LXC ignores the entry (a warning in its log), so nothing is mounted",
				e.line.Where(), e.source, e.target, rootfsPath)
			continue
		}
		if isBind(e) {
			t.checkBindSource(e, m, containerDir, rootfsPath, found)
		}
		checkMountPoint(e, point, mounted, rootfs, found)
		mounted = append(mounted, point)
	}
}

func checkOf(e mountEntry) string {
	if isBind(e) {
		return CheckShare
	}
	return CheckMount
}

// checkBindSource: the source of a bind mount is a device path that must
// exist when the container starts, outside the container's own folder.
func (t *target) checkBindSource(e mountEntry, m lxc.IDMap, containerDir, rootfsPath string, found *findings) {
	src := path.Clean(e.source)
	if !path.IsAbs(src) {
		return // not a device path; LXC's own checks decide
	}
	resolved := "/" + resolveOr(t.root, src)
	if owner := insideOf(src, resolved, t.root, containerDir, rootfsPath); owner != "" {
		found.errorf(CheckShare, e.line.File,
			fmt.Sprintf("share a folder outside %s (thunder-lxc provision --share refuses one inside)", owner),
			"%s bind-mounts %s, which is inside the container's own folder %s: LXC starts the container, but what the share holds is the container's own files (sharing the folder itself shows the container its own config and rootfs), and thunder-lxc remove deletes it with the container",
			e.line.Where(), e.source, owner)
		return
	}
	info, err := inroot.Stat(t.root, src)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		t.missingSource(e, src, resolved, found)
		return
	case err != nil:
		found.errorf(CheckShare, e.line.File, "make it readable", "%s bind-mounts %s: %v", e.line.Where(), e.source, err)
		return
	}
	uid, gid, mode := t.ownerMode(t.root, src, info)
	a := lxc.ExplainAccess(m, lxc.Owner{UID: uid, GID: gid}, mode, false)
	msg := fmt.Sprintf("%s shares %s (host owner %d:%d, mode %s) as /%s: %s",
		e.line.Where(), e.source, uid, gid, a.Mode, strings.TrimPrefix(path.Clean("/"+e.target), "/"), strings.Join(a.Lines, " "))
	if info.IsDir() && !a.Other.Execute {
		msg += " " + unreachable(a)
	}
	if slices.Contains(e.options, "ro") {
		msg += " The share is mounted read-only: nobody in the container can change anything in it."
	}
	found.notef(CheckShare, e.line.File,
		"none needed if these are the users meant; otherwise chown or chmod the folder (thunder-lxc provision --keep-id, --share-mode)",
		"%s", msg)
}

// missingSource: LXC fails to start the container when a bind source is
// missing, except that a source in a kernel filesystem cannot be judged
// from the image, and one in a run-time tmpfs may be made by a service.
func (t *target) missingSource(e mountEntry, src, resolved string, found *findings) {
	for _, dir := range kernelFS {
		if under(src, dir) || under(resolved, dir) {
			return
		}
	}
	for _, dir := range runtimeFS {
		if under(src, dir) || under(resolved, dir) {
			found.notef(CheckShare, e.line.File,
				fmt.Sprintf("make sure a service on the device creates %s before Thunder starts the plugin", e.source),
				"%s bind-mounts %s, which is not in the image (%s is usually a tmpfs on the device): LXC fails to start the container if it does not exist by then",
				e.line.Where(), e.source, dir)
			return
		}
	}
	found.errorf(CheckShare, e.line.File,
		fmt.Sprintf("create the folder %s in the target, or provision with --share %s:%s, which creates it", e.source, e.source, strings.TrimPrefix(path.Clean("/"+e.target), "/")),
		"%s bind-mounts %s, which is not in the target: LXC fails to start the container (\"Failed to mount %s\")",
		e.line.Where(), e.source, e.source)
}

// checkMountPoint: LXC mounts onto an existing folder or file of the
// rootfs, or creates it with create=dir / create=file; without them, a
// missing mount point makes it fail to start the container. Mount points
// under another mount (such as tmp/...) or in a filesystem LXC mounts itself
// (dev, proc, sys) are not in the rootfs and are not checked.
func checkMountPoint(e mountEntry, point string, mounted []string, rootfs *os.Root, found *findings) {
	if slices.Contains(e.options, "create=dir") || slices.Contains(e.options, "create=file") {
		return
	}
	for _, dir := range append([]string{"dev", "proc", "sys"}, mounted...) {
		if under("/"+point, "/"+dir) {
			return
		}
	}
	if _, err := inroot.Stat(rootfs, point); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	found.errorf(checkOf(e), e.line.File,
		fmt.Sprintf("add create=dir (create=file for a file) to the options, or create /%s in the rootfs", point),
		"%s mounts %s onto /%s, which the container's rootfs lacks, and without create=dir LXC fails to start the container",
		e.line.Where(), e.source, point)
}

// insideOf returns the container folder (or its rootfs, when that lives
// elsewhere) holding the source, by its written or resolved path; "" when
// neither does.
func insideOf(src, resolved string, root *os.Root, containerDir, rootfsPath string) string {
	for _, dir := range []string{containerDir, rootfsPath} {
		if dir == "" || dir == "/" {
			continue
		}
		dirResolved := "/" + resolveOr(root, dir)
		if under(src, dir) || under(resolved, dirResolved) {
			return dir
		}
	}
	return ""
}

// resolveOr resolves name inside the target, or returns it cleaned and
// relative when it cannot be resolved (a symlink loop).
func resolveOr(root *os.Root, name string) string {
	if r, err := inroot.Resolve(root, name, true); err == nil {
		return r
	}
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// under tells whether the absolute path p is dir or below it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// unreachable says who cannot get past a folder whose "other" bits lack x.
func unreachable(a lxc.AccessReport) string {
	var who []string
	if a.OwnerMapped {
		who = append(who, fmt.Sprintf("uid %d", a.ContainerUID))
	}
	if a.GroupMapped {
		who = append(who, fmt.Sprintf("members of group %d", a.ContainerGID))
	}
	if a.RootOverrides {
		who = append(who, "root")
	}
	if len(who) == 0 {
		return "No container user can enter it (no x bit applies to any of them), so nothing in it can be reached, not even a unix socket of mode 0777."
	}
	list := who[0]
	if len(who) > 1 {
		list = strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
	}
	return fmt.Sprintf("Container users other than %s cannot enter it (its other bits lack x), so they cannot reach anything in it, not even a unix socket of mode 0777.", list)
}
