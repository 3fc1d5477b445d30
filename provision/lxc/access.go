package lxc

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
)

// Owner is the owner of a host object, in host IDs.
type Owner struct {
	UID int `json:"uid"`
	GID int `json:"gid"`
}

// OverflowID is what a host ID with no mapping shows as inside a user
// namespace (/proc/sys/kernel/overflowuid and overflowgid): nobody and
// nogroup on most systems.
const OverflowID = 65534

// Permission says what one container user, or class of users, may do with
// the object. The meaning of each field depends on the kind of object.
type Permission struct {
	// Read: a file can be read; a directory's entry names can be listed.
	Read bool `json:"read"`
	// Write: a file can be changed; in a directory, entries can be created,
	// deleted and renamed (this needs both the w and the x bit); a unix
	// socket can be connected to (connect(2) needs write permission on it).
	Write bool `json:"write"`
	// Execute: a file can be run; a directory can be entered and what is
	// inside it reached.
	Execute bool `json:"execute"`
}

// AccessReport explains who inside a container may use a host object
// (a shared folder, a file in it, or a unix socket such as Thunder's
// communicator) given the container's ID map.
//
// It follows the kernel's own order: the owner gets the owner bits only, a
// member of the group who is not the owner gets the group bits, everybody
// else the "other" bits; then container root may override the bits with
// CAP_DAC_OVERRIDE, but only over objects whose owner and group are both
// mapped into the container. POSIX ACLs and LSMs (AppArmor, SELinux) are not
// considered, and every folder above the object must also be enterable.
type AccessReport struct {
	Kind string `json:"kind"` // "directory", "socket" or "file"
	Mode string `json:"mode"` // octal, with setuid, setgid and sticky: "7770"
	Host Owner  `json:"host"`
	// The owner and group as the container sees them; OverflowID (65534,
	// nobody / nogroup) when the host ID is not mapped.
	ContainerUID int  `json:"containerUID"`
	ContainerGID int  `json:"containerGID"`
	OwnerMapped  bool `json:"ownerMapped"`
	GroupMapped  bool `json:"groupMapped"`
	// Owner is what container user ContainerUID may do (meaningful when
	// OwnerMapped), Group what other members of group ContainerGID may do
	// (when GroupMapped), Other what every remaining container user may do.
	Owner Permission `json:"owner"`
	Group Permission `json:"group"`
	Other Permission `json:"other"`
	// RootOverrides says container root bypasses the mode bits: it has
	// CAP_DAC_OVERRIDE over this object (both host IDs mapped, or no ID map
	// at all). Root is what container uid 0 with group 0 may do, all told.
	RootOverrides bool       `json:"rootOverrides"`
	Root          Permission `json:"root"`
	// Privileged: no ID map, the container shares the host's IDs.
	Privileged bool `json:"privileged"`
	// Lines says all of the above in sentences, with concrete IDs.
	Lines []string `json:"lines"`

	bits modeBits
}

// modeBits is the object's unix mode split the way the kernel uses it.
type modeBits struct {
	owner, group, other    uint32 // 3 bits each: r=4 w=2 x=1
	setuid, setgid, sticky bool
	kind                   string // "directory", "socket" or "file"
}

// ExplainAccess explains which container users can read / write (create
// files in, connect to a socket in) a host object with the given host owner
// and mode, under the map m. mode may carry the special bits either Go's way
// (fs.ModeSetgid, ...) or as unix bits (0o2000, ...): fs.FileMode leaves bits
// 9-11 unused, so both are read. A mode with fs.ModeSocket counts as a socket.
//
// Why container root is not all-powerful here: root in the container is
// root of its user namespace only. Capabilities held in a user namespace
// count against an inode only when the inode's uid and gid are both mapped
// in that namespace (the kernel's capable_wrt_inode_uidgid), so over a host
// folder whose owner or group is unmapped, container root has no
// CAP_DAC_OVERRIDE and gets the mode bits like any other user — usually the
// "other" bits, since it cannot be the (unmapped) owner.
func ExplainAccess(m IDMap, owner Owner, mode fs.FileMode, isSocket bool) AccessReport {
	b := splitMode(mode, isSocket)
	r := AccessReport{Kind: b.kind, Mode: b.String(), Host: owner, bits: b}
	r.Privileged = len(m.UID) == 0 && len(m.GID) == 0
	if r.Privileged {
		r.ContainerUID, r.OwnerMapped = owner.UID, true
		r.ContainerGID, r.GroupMapped = owner.GID, true
	} else {
		r.ContainerUID, r.OwnerMapped = m.ContainerUID(owner.UID)
		r.ContainerGID, r.GroupMapped = m.ContainerGID(owner.GID)
		if !r.OwnerMapped {
			r.ContainerUID = OverflowID
		}
		if !r.GroupMapped {
			r.ContainerGID = OverflowID
		}
	}
	r.Owner, r.Group, r.Other = b.allowed(b.owner), b.allowed(b.group), b.allowed(b.other)
	// Both IDs mapped is the kernel's condition for capabilities to count;
	// without a map, root is host root and its capabilities count everywhere.
	r.RootOverrides = r.OwnerMapped && r.GroupMapped
	r.Root = r.For(0, 0)
	r.Lines = r.explain(m)
	return r
}

// For is what container user uid, in groups gids (primary and
// supplementary), may do with the object. Container uid 0 is taken to hold
// CAP_DAC_OVERRIDE, as LXC leaves it by default. It reads only exported
// fields, so it also answers for a report read back from JSON.
func (r AccessReport) For(uid int, gids ...int) Permission {
	p := r.Other
	switch {
	case r.OwnerMapped && uid == r.ContainerUID:
		p = r.Owner
	case r.GroupMapped && slices.Contains(gids, r.ContainerGID):
		p = r.Group
	}
	if uid == 0 && r.RootOverrides {
		// CAP_DAC_OVERRIDE grants read and write always, and execute on
		// directories always but on files only when some x bit is set.
		mode, _ := strconv.ParseUint(r.Mode, 8, 32)
		p.Read, p.Write = true, true
		p.Execute = p.Execute || r.Kind == "directory" || mode&0o111 != 0
	}
	return p
}

func splitMode(mode fs.FileMode, isSocket bool) modeBits {
	perm := uint32(mode.Perm())
	b := modeBits{
		owner: perm >> 6 & 7, group: perm >> 3 & 7, other: perm & 7,
		setuid: mode&fs.ModeSetuid != 0 || mode&0o4000 != 0,
		setgid: mode&fs.ModeSetgid != 0 || mode&0o2000 != 0,
		sticky: mode&fs.ModeSticky != 0 || mode&0o1000 != 0,
	}
	switch {
	case isSocket || mode&fs.ModeSocket != 0:
		b.kind = "socket"
	case mode.IsDir():
		b.kind = "directory"
	default:
		b.kind = "file"
	}
	return b
}

// String is the mode in octal, as chmod takes it.
func (b modeBits) String() string {
	special := 0
	if b.setuid {
		special |= 4
	}
	if b.setgid {
		special |= 2
	}
	if b.sticky {
		special |= 1
	}
	return fmt.Sprintf("%d%d%d%d", special, b.owner, b.group, b.other)
}

// allowed turns three mode bits into what they allow for this kind.
func (b modeBits) allowed(bits uint32) Permission {
	p := Permission{Read: bits&4 != 0, Write: bits&2 != 0, Execute: bits&1 != 0}
	if b.kind == "directory" {
		// Creating, deleting or renaming an entry needs w and x on the folder.
		p.Write = p.Write && p.Execute
	}
	return p
}

// rwx shows three mode bits as ls does: "r-x".
func rwx(bits uint32) string {
	s := []byte("---")
	for i, c := range "rwx" {
		if bits&(4>>i) != 0 {
			s[i] = byte(c)
		}
	}
	return string(s)
}
