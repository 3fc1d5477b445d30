package verify

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// parseIDMap reads the lxc.idmap lines ("u 0 100000 65536"); ok is false
// when there are none (a privileged container). A line liblxc 5.0.2 would
// refuse (not "u|g CONTAINER HOST COUNT") is a finding when fs is set.
func parseIDMap(cfg *lxcConfig, fs *findings) (lxc.IDMap, bool) {
	var m lxc.IDMap
	for _, l := range cfg.all("lxc.idmap") {
		if l.Value == "" {
			continue // clears the list; LXC accepts it
		}
		r, ok := parseRange(l.Value)
		if !ok {
			if fs != nil {
				fs.errorf(CheckSyntax, l.File, "write it as lxc.idmap = u|g CONTAINER-ID HOST-ID COUNT, e.g. u 0 100000 65536",
					"%s lxc.idmap = %s: not a valid ID map range, so LXC refuses the config", l.where(), l.Value)
			}
			continue
		}
		if r.Kind == 'u' {
			m.UID = append(m.UID, r)
		} else {
			m.GID = append(m.GID, r)
		}
	}
	byContainer := func(rs []lxc.Range) {
		sort.Slice(rs, func(i, j int) bool { return rs[i].ContainerID < rs[j].ContainerID })
	}
	byContainer(m.UID)
	byContainer(m.GID)
	return m, len(m.UID)+len(m.GID) > 0
}

func parseRange(value string) (lxc.Range, bool) {
	f := strings.Fields(value)
	if len(f) != 4 || (f[0] != "u" && f[0] != "g") {
		return lxc.Range{}, false
	}
	var n [3]int
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return lxc.Range{}, false
		}
		n[i] = int(v)
	}
	return lxc.Range{Kind: f[0][0], ContainerID: n[0], HostID: n[1], Count: n[2]}, true
}

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
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		uid, gid := int(st.Uid), int(st.Gid)
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
