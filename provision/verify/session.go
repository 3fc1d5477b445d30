package verify

import (
	"context"
	"io/fs"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ownerMode is the owner and mode of name, a path inside root (symlinks
// followed inside it; info is this process's stat of it), as the image
// will have them. Inside a fakeroot or pseudo session (a Yocto task, a
// Buildroot post-fakeroot script) they are the session's, read by stat run
// there: this process sees the build user's own. Should the session's stat
// fail, the file's own are what is left to go by.
func (t *target) ownerMode(root *os.Root, name string, info fs.FileInfo) (uid, gid int, mode fs.FileMode) {
	uid, gid = inroot.Owner(info)
	mode = info.Mode()
	if t.session == nil {
		return uid, gid, mode
	}
	resolved, err := inroot.Resolve(root, name, true)
	if err != nil {
		return uid, gid, mode
	}
	metas, err := t.session.Stat(context.Background(), root.Name(), []string{resolved})
	if err != nil {
		return uid, gid, mode
	}
	return metas[0].UID, metas[0].GID, metas[0].Mode
}
