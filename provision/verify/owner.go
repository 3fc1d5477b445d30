package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// ownerSample are the rootfs folders whose owners are checked: the top
// and the folders init and the plugin write first. A full walk of a rootfs
// would be slow on a big image and a shifted rootfs is shifted as a whole,
// so a sample tells shifted from unshifted.
var ownerSample = []string{"/", "/bin", "/etc", "/root", "/sbin", "/usr", "/var"}

// checkOwners: with lxc.idmap, a file whose host owner is not mapped shows
// as nobody (65534) inside the container and its root cannot write it; a
// rootfs unpacked with host owners (root = host 0) is unusable that way.
func (t *target) checkOwners(m lxc.IDMap, rootfs *os.Root, rootfsPath string, fs *findings) {
	var bad []string
	rootOwnedBy0 := false
	for _, name := range ownerSample {
		info, err := inroot.Stat(rootfs, name)
		if err != nil {
			continue
		}
		uid, gid, _ := t.ownerMode(rootfs, name, info)
		_, uidOK := m.ContainerUID(uid)
		_, gidOK := m.ContainerGID(gid)
		if uidOK && gidOK {
			continue
		}
		if name == "/" && uid == 0 {
			rootOwnedBy0 = true
		}
		bad = append(bad, fmt.Sprintf("%s %d:%d", name, uid, gid))
	}
	if len(bad) == 0 {
		return
	}
	hostRoot, _ := m.HostUID(0)
	hostRootGroup, _ := m.HostGID(0)
	why := "container root sees these files as nobody and cannot write them"
	if rootOwnedBy0 {
		why = "the rootfs is owned by host root (0), which the idmap does not map: " + why
	}
	fs.errorf(CheckOwner, rootfsPath,
		fmt.Sprintf("provision again with ID shifting (the default), or chown the rootfs so container 0 is host %d:%d", hostRoot, hostRootGroup),
		"owners not mapped by lxc.idmap (sampled %s): %s; %s",
		strings.Join(ownerSample, " "), strings.Join(bad, ", "), why)
}
