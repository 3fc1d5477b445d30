package lxcrun

import (
	"fmt"
	"path"
	"slices"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// containerUser is a user a share is probed as.
type containerUser struct {
	uid, gid int
}

// shareProbes lists, for every folder of the target the config
// bind-mounts into the container (its shares), one probe per class of
// container user the folder's mode tells apart: root, its owner, a member
// of its group and anybody else, each with what the access explanation
// predicts. A read-only mount is predicted unwritable for all.
func (c *container) shareProbes() []ShareProbe {
	idmap, mapped := c.config.IDMap()
	var probes []ShareProbe
	for _, e := range c.config.MountEntries(c.target) {
		src := path.Clean(e.Source)
		if !e.IsBind() || !path.IsAbs(src) || !c.fromTarget(src) || slices.Contains(e.Options, "optional") {
			continue
		}
		point, ok := lxc.MountPoint(e.Target, c.rootfsPath)
		if !ok {
			continue
		}
		info, err := inroot.Stat(c.target, src)
		if err != nil || !info.IsDir() {
			continue // not a share of the target's
		}
		uid, gid := inroot.Owner(info)
		access := lxc.ExplainAccess(idmap, lxc.Owner{UID: uid, GID: gid}, info.Mode(), false)
		readOnly := slices.Contains(e.Options, "ro")
		for _, u := range usersToProbe(access, idmap, mapped) {
			probes = append(probes, ShareProbe{
				Source: src, Path: "/" + point, UID: u.user.uid, GID: u.user.gid, Class: u.class,
				Predicted: access.For(u.user.uid, u.user.gid).Write && !readOnly,
			})
		}
	}
	return probes
}

// fromTarget tells whether the view shows the bind source src from the
// target (not from the build host, nor made in a run-time folder).
func (c *container) fromTarget(src string) bool {
	for _, dir := range append(c.runtimeFolders(), kernelFolders...) {
		if under(src, dir) {
			return false
		}
	}
	return true
}

type classUser struct {
	class string
	user  containerUser
}

// usersToProbe picks a container user of each class the folder's mode
// tells apart: root, its owner, a member of its group who is not the
// owner, and somebody else. A user whose IDs the map lacks cannot be run.
func usersToProbe(a lxc.AccessReport, m lxc.IDMap, mapped bool) []classUser {
	hasUID := func(id int) bool { _, ok := m.HostUID(id); return !mapped || ok }
	hasGID := func(id int) bool { _, ok := m.HostGID(id); return !mapped || ok }
	users := []classUser{{"root", containerUser{0, 0}}}
	if a.OwnerMapped && a.ContainerUID != 0 {
		gid := a.ContainerUID // the owner's own group, as usual; the owner bits apply whatever it is
		if !hasGID(gid) {
			gid = 0
		}
		users = append(users, classUser{"owner", containerUser{a.ContainerUID, gid}})
	}
	other, ok := a.ExampleOther(m)
	if !ok || !hasUID(other) {
		return users
	}
	if a.GroupMapped {
		users = append(users, classUser{"group", containerUser{other, a.ContainerGID}})
	}
	if hasGID(other) {
		users = append(users, classUser{"other", containerUser{other, other}})
	}
	return users
}

// shareCheck turns a probe and the container's answer into a check.
func shareCheck(p ShareProbe, a probeAnswer, answered bool, output string) Check {
	p.Writable = answered && a.ok
	who := fmt.Sprintf("container uid %d gid %d (%s)", p.UID, p.GID, p.Class)
	can := map[bool]string{true: "can", false: "cannot"}
	c := Check{Name: CheckShare, OK: answered && p.Writable == p.Predicted, Share: &p}
	switch {
	case !answered:
		c.Message = fmt.Sprintf("%s in %s: %s", who, p.Path, noAnswer(output))
	case c.OK:
		c.Message = fmt.Sprintf("%s %s create files in %s (%s), as predicted", who, can[p.Writable], p.Path, p.Source)
	default:
		c.Message = fmt.Sprintf("%s %s create files in %s (%s), but the access explanation predicted it %s",
			who, can[p.Writable], p.Path, p.Source, can[p.Predicted])
		if a.detail != "" {
			c.Message += ": " + a.detail
		}
	}
	return c
}
