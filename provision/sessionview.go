package provision

import (
	"context"
	"io/fs"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// ownerMode is the owner and mode of the target's path (a device path,
// followed in the target; info is its stat by this process) as the run
// will find them: inside a fakeroot or pseudo session the session's, read
// by stat run there, since this process sees the build user's.
func (p *Plan) ownerMode(devicePath string, info fs.FileInfo) (lxc.Owner, fs.FileMode, error) {
	const bits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	if p.session == nil {
		uid, gid := inroot.Owner(info)
		return lxc.Owner{UID: uid, GID: gid}, info.Mode() & bits, nil
	}
	resolved, err := inroot.Resolve(p.target, devicePath, true)
	if err != nil {
		return lxc.Owner{}, 0, err
	}
	metas, err := p.session.Stat(context.Background(), p.root.Name(), []string{resolved})
	if err != nil {
		return lxc.Owner{}, 0, err
	}
	return lxc.Owner{UID: metas[0].UID, GID: metas[0].GID}, metas[0].Mode & bits, nil
}
