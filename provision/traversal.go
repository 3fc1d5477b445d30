package provision

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// warnTraversal: with an ID map, LXC reaches the container's rootfs and
// each share's folder as the container's root, an unprivileged host user
// that must be able to enter every folder on the way (lxc.RootCannotSearch
// says how that was measured). A folder of the image that stops it keeps
// the container from starting on the device; the run leaves the image's
// own folders as they are and warns, naming the folder (verify reports it
// as an error).
func (p *Plan) warnTraversal() error {
	if !p.mapped {
		return nil
	}
	skip := func(devicePath string) bool { return lxc.MountedAtRunTime(devicePath, p.processes.SharedFolders()...) }
	type way struct {
		name, what string
		self       bool
	}
	var ways []way
	for _, c := range p.Containers {
		rootfs := path.Join(c.Dir, "rootfs")
		ways = append(ways, way{rootfs, c.Callsign + "'s rootfs " + rootfs, true})
	}
	for _, s := range p.Shares {
		ways = append(ways, way{s.Host, "the shared folder " + s.Host, false})
	}
	var folders []string
	for _, w := range ways {
		on, err := lxc.FoldersOnTheWay(p.target, w.name, w.self, skip)
		if err != nil {
			return fmt.Errorf("look at the folders on the way to %s: %w", inroot.Describe(p.target, w.name), err)
		}
		for _, f := range on {
			if !slices.Contains(folders, f) {
				folders = append(folders, f)
			}
		}
	}
	stat, err := p.folderStat(folders)
	if err != nil {
		return err
	}
	warned := map[string]bool{}
	for _, w := range ways {
		b, err := lxc.RootCannotSearch(p.target, p.idmap, w.name, w.self, stat, skip)
		if err != nil {
			return fmt.Errorf("look at the folders on the way to %s: %w", inroot.Describe(p.target, w.name), err)
		}
		if b == nil || warned[b.Folder] {
			continue
		}
		warned[b.Folder] = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s, and it is on the way to %s: on the device LXC refuses to start the container (\"Could not access ... Please grant it x access\"); chmod o+x %s in the image",
			b.Describe(p.idmap), w.what, b.Folder))
	}
	return nil
}

// folderStat reads the owners and modes of the folders as the run will
// find them, all at once: inside a fakeroot or pseudo session with one
// stat program for all of them (ownerMode takes one each).
func (p *Plan) folderStat(folders []string) (lxc.StatFunc, error) {
	if p.session == nil || len(folders) == 0 {
		return func(devicePath string, info fs.FileInfo) (lxc.Owner, fs.FileMode, error) {
			return p.ownerMode(devicePath, info)
		}, nil
	}
	const bits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	resolved := make([]string, len(folders))
	for i, f := range folders {
		r, err := inroot.Resolve(p.target, f, true)
		if err != nil {
			return nil, fmt.Errorf("look at %s: %w", inroot.Describe(p.target, f), err)
		}
		resolved[i] = r
	}
	metas, err := p.session.Stat(context.Background(), p.root.Name(), resolved)
	if err != nil {
		return nil, err
	}
	known := map[string]lxc.Owner{}
	modes := map[string]fs.FileMode{}
	for i, f := range folders {
		known[f] = lxc.Owner{UID: metas[i].UID, GID: metas[i].GID}
		modes[f] = metas[i].Mode & bits
	}
	return func(devicePath string, info fs.FileInfo) (lxc.Owner, fs.FileMode, error) {
		if owner, ok := known[devicePath]; ok {
			return owner, modes[devicePath], nil
		}
		return p.ownerMode(devicePath, info)
	}, nil
}
