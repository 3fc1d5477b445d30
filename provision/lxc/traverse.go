package lxc

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// Blocked is a folder the container's root cannot search (enter), on its
// way to something LXC must reach as that user.
type Blocked struct {
	// Folder is the device path of the folder.
	Folder string
	Owner  Owner
	Mode   fs.FileMode
}

// StatFunc gives the owner and mode a device path (followed in the target)
// will have on the device: info is this process's stat of it.
type StatFunc func(devicePath string, info fs.FileInfo) (Owner, fs.FileMode, error)

// RootCannotSearch finds the first folder on the way to name (a device
// path) in root that the container's root, under the ID map m, may not
// search: every folder above name, and name itself when self. Symlinks on
// the way are followed inside root, and the folders of their targets count
// too. A part of the path that is missing ends the walk (other checks say
// so); skip names folders whose mode the image does not decide (a tmpfs
// mounted there at run time), which are passed over. nil: none blocks.
//
// Why it matters: with an ID map, LXC sets the container up as the
// container's root, whose host IDs are those m maps 0 to (100000 by
// default), and fails when a folder on the way to the rootfs or to a
// bind-mount source does not let that user search it ("Could not access
// /usr. Please grant it x access, or add an ACL for the container root",
// measured with liblxc 5.0.2 on an image whose / was 0770, as WPEFramework
// R4.4's install leaves it). Container root searches a folder by its mode
// bits unless the folder's owner and group are both mapped (ExplainAccess);
// POSIX ACLs are not read.
func RootCannotSearch(root inroot.FS, m IDMap, name string, self bool, stat StatFunc, skip func(devicePath string) bool) (*Blocked, error) {
	folders, err := FoldersOnTheWay(root, name, self, skip)
	if err != nil {
		return nil, err
	}
	for _, dir := range folders {
		info, err := inroot.Stat(root, dir)
		if err != nil {
			return nil, fmt.Errorf("look at %s: %w", inroot.Describe(root, dir), err)
		}
		owner, mode, err := stat(dir, info)
		if err != nil {
			return nil, fmt.Errorf("look at %s: %w", inroot.Describe(root, dir), err)
		}
		if !ExplainAccess(m, owner, mode|fs.ModeDir, false).Root.Execute {
			return &Blocked{Folder: dir, Owner: owner, Mode: mode}, nil
		}
	}
	return nil, nil
}

// FoldersOnTheWay lists, in order and once each, the folders of root that
// are searched on the way to name (RootCannotSearch's walk), without the
// skipped ones, up to the first part that is missing.
func FoldersOnTheWay(root inroot.FS, name string, self bool, skip func(devicePath string) bool) ([]string, error) {
	seen := map[string]bool{}
	var folders []string
	parts := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	if !self {
		parts = parts[:len(parts)-1]
	}
	for i := 0; i <= len(parts); i++ {
		written := "/" + path.Join(parts[:i]...)
		resolved, err := inroot.Resolve(root, written, true)
		if notThere(err) {
			return folders, nil
		}
		if err != nil {
			return nil, err
		}
		// The folders of the resolved path, which are those of the written
		// one when no symlink is on the way.
		var steps []string
		if resolved != "." {
			steps = strings.Split(resolved, "/")
		}
		for j := 0; j <= len(steps); j++ {
			dir := "/" + path.Join(steps[:j]...)
			if seen[dir] {
				continue
			}
			seen[dir] = true
			if skip != nil && skip(dir) {
				continue
			}
			info, err := inroot.Stat(root, dir)
			if notThere(err) {
				return folders, nil
			}
			if err != nil {
				return nil, fmt.Errorf("look at %s: %w", inroot.Describe(root, dir), err)
			}
			if info.IsDir() {
				folders = append(folders, dir)
			}
		}
	}
	return folders, nil
}

// notThere tells a path that is missing, or has a file on the way, which
// ends a walk: other checks say what is wrong with it.
func notThere(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Describe says what stops whom: "/ (host owner 0:0, mode 0770) does not
// let the container's root (host uid 100000, gid 100000) enter it".
func (b *Blocked) Describe(m IDMap) string {
	uid, _ := m.HostUID(0)
	gid, _ := m.HostGID(0)
	return fmt.Sprintf("%s (host owner %d:%d, mode %s) does not let the container's root (host uid %d, gid %d) enter it",
		b.Folder, b.Owner.UID, b.Owner.GID, splitMode(b.Mode|fs.ModeDir, false).String(), uid, gid)
}

// runTimeFolders are device folders that are mounted at run time (kernel
// filesystems, tmpfs), so the image does not decide their modes.
var runTimeFolders = []string{"/proc", "/sys", "/dev", "/run", "/tmp"}

// MountedAtRunTime tells whether the device path is in a folder mounted at
// run time: one of runTimeFolders or of more (such as Thunder's volatile
// path). A skip function for RootCannotSearch.
func MountedAtRunTime(devicePath string, more ...string) bool {
	for _, dir := range append(append([]string{}, runTimeFolders...), more...) {
		dir = path.Clean(dir)
		if dir != "/" && (devicePath == dir || strings.HasPrefix(devicePath, dir+"/")) {
			return true
		}
	}
	return false
}

// FolderState says whether a folder LXC needs when it starts the container
// (that of lxc.console.logfile, which it opens then) will be there.
type FolderState int

const (
	FolderThere     FolderState = iota // in the image, or a folder mounted at run time itself
	FolderAtRunTime                    // below a folder mounted at run time: only a service can make it
	FolderMissing                      // not in the image (or not a folder)
)

// StartFolderState is the state of the device folder dir in root; more are
// folders mounted at run time besides the usual ones (MountedAtRunTime).
func StartFolderState(root inroot.FS, dir string, more ...string) FolderState {
	dir = path.Clean(dir)
	switch {
	case MountedAtRunTime(dir, more...) && !MountedAtRunTime(path.Dir(dir), more...):
		return FolderThere
	case MountedAtRunTime(dir, more...):
		return FolderAtRunTime
	}
	if info, err := inroot.Stat(root, dir); err == nil && info.IsDir() {
		return FolderThere
	}
	return FolderMissing
}
