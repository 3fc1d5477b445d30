package archive

import (
	"archive/tar"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// paxXattrPrefix is how GNU tar, bsdtar and Go store extended attributes.
const paxXattrPrefix = "SCHILY.xattr."

const (
	capabilityXattr = "security.capability"
	// vfs_ns_cap_data: magic_etc, {permitted, inheritable}×2, rootid.
	capRevisionMask = 0xFF000000
	capRevision3    = 0x03000000
	capV3Size       = 24
)

// setXattrs sets every SCHILY.xattr.* record of the entry, sorted for a
// reproducible order. Called after chown: chown drops security.capability.
func (x *extractor) setXattrs(t target, fd int, hdr *tar.Header) error {
	names := make([]string, 0, 4)
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, paxXattrPrefix) {
			names = append(names, k[len(paxXattrPrefix):])
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	for _, name := range names {
		value := []byte(hdr.PAXRecords[paxXattrPrefix+name])
		if name == capabilityXattr && x.opts.ShiftUID != nil {
			var err error
			if value, err = shiftCapabilityRootID(value, x.opts.ShiftUID); err != nil {
				return err
			}
		}
		var err error
		if fd >= 0 {
			err = unix.Fsetxattr(fd, name, value, 0)
		} else {
			// No fd for symlinks, devices and FIFOs (opening a FIFO blocks,
			// a device may act): the parent's /proc handle plus one
			// component, and lsetxattr does not follow that component.
			// Needs /proc mounted, as it is on every build host.
			err = unix.Lsetxattr(procPath(t), name, value, 0)
		}
		if err != nil {
			return fmt.Errorf("set xattr %s: %w", name, err)
		}
	}
	return nil
}

// procPath names t through its open parent folder, so the kernel resolves
// nothing but t.base from there.
func procPath(t target) string {
	return "/proc/self/fd/" + strconv.Itoa(t.dirfd) + "/" + t.base
}

// shiftCapabilityRootID rewrites the rootid of a v3 (namespaced) file
// capability to the host ID its user is stored as: the capability then
// applies to root of the container. v2 capabilities carry no rootid and
// stay as they are.
func shiftCapabilityRootID(value []byte, shift func(int) (int, error)) ([]byte, error) {
	if len(value) != capV3Size || binary.LittleEndian.Uint32(value)&capRevisionMask != capRevision3 {
		return value, nil
	}
	rootid := int(binary.LittleEndian.Uint32(value[20:]))
	shifted, err := shift(rootid)
	if err != nil {
		return nil, fmt.Errorf("shift capability rootid %d: %w", rootid, err)
	}
	out := append([]byte(nil), value...)
	binary.LittleEndian.PutUint32(out[20:], uint32(shifted))
	return out, nil
}
