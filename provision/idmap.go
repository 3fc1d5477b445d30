package provision

import (
	"fmt"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// idmapRequest turns the request's flags into the ID map request.
func (r *Request) idmapRequest() lxc.IDMapRequest {
	return lxc.IDMapRequest{Base: r.IDMapBase, Size: r.IDMapSize, KeepUIDs: r.KeepUIDs, KeepGIDs: r.KeepGIDs}
}

// idmapFor returns the container's ID map; ok is false for a privileged
// container.
func (r *Request) idmapFor() (m lxc.IDMap, ok bool, err error) {
	if r.NoIDMap {
		return lxc.IDMap{}, false, nil
	}
	m, err = lxc.NewIDMap(r.idmapRequest())
	return m, err == nil, err
}

// shifter gives the host IDs a rootfs is stored with so that the container's
// users own their files: an unprivileged container's root can then write
// its own /root, and kept IDs stay as they are.
type shifter struct {
	m    lxc.IDMap
	size int
}

func (s shifter) uid(id int) (int, error) {
	host, ok := s.m.HostUID(id)
	if !ok {
		return 0, fmt.Errorf("owner uid %d is outside the container's ID map (container IDs 0-%d): raise --idmap-size or use --no-shift-ids", id, s.size-1)
	}
	return host, nil
}

func (s shifter) gid(id int) (int, error) {
	host, ok := s.m.HostGID(id)
	if !ok {
		return 0, fmt.Errorf("group gid %d is outside the container's ID map (container IDs 0-%d): raise --idmap-size or use --no-shift-ids", id, s.size-1)
	}
	return host, nil
}
