package lxc

import (
	"fmt"
	"strings"
)

// ability is one thing a user may or may not do with an object.
type ability struct {
	phrase string
	get    func(Permission) bool
}

var abilities = map[string][]ability{
	"directory": {
		{"list it", func(p Permission) bool { return p.Read }},
		{"enter it", func(p Permission) bool { return p.Execute }},
		{"create files in it", func(p Permission) bool { return p.Write }},
	},
	"file": {
		{"read it", func(p Permission) bool { return p.Read }},
		{"write it", func(p Permission) bool { return p.Write }},
		{"run it", func(p Permission) bool { return p.Execute }},
	},
	// Only connecting matters for a socket; it needs the write bit.
	"socket": {{"connect to it", func(p Permission) bool { return p.Write }}},
}

// can says in words what p allows: "can list it and enter it but cannot
// create files in it".
func can(kind string, p Permission) string {
	var yes, no []string
	for _, a := range abilities[kind] {
		if a.get(p) {
			yes = append(yes, a.phrase)
		} else {
			no = append(no, a.phrase)
		}
	}
	switch {
	case len(no) == 0:
		return "can " + join(yes, "and")
	case len(yes) == 0:
		return "cannot " + join(no, "or")
	}
	return "can " + join(yes, "and") + " but cannot " + join(no, "or")
}

func join(s []string, conj string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " " + conj + " " + s[len(s)-1]
}

// writePhrase names what the write bit gives for each kind of object.
var writePhrase = map[string]string{
	"directory": "create files in it",
	"file":      "write it",
	"socket":    "connect to it",
}

// explain writes the report as sentences with concrete IDs.
func (r AccessReport) explain(m IDMap) []string {
	b, kind := r.bits, r.Kind
	host := func(lookup func(int) (int, bool), id int) string {
		if r.Privileged {
			return fmt.Sprintf("host %d", id)
		}
		if h, ok := lookup(id); ok {
			return fmt.Sprintf("host %d", h)
		}
		return "unmapped"
	}
	var lines []string
	say := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	uidDesc := fmt.Sprintf("uid %d (%s)", r.ContainerUID, host(m.HostUID, r.ContainerUID))
	if !r.OwnerMapped {
		uidDesc = fmt.Sprintf("uid %d, nobody (host uid %d is not mapped)", OverflowID, r.Host.UID)
	}
	gidDesc := fmt.Sprintf("group %d (%s)", r.ContainerGID, host(m.HostGID, r.ContainerGID))
	if !r.GroupMapped {
		gidDesc = fmt.Sprintf("group %d, nogroup (host gid %d is not mapped)", OverflowID, r.Host.GID)
	}
	say("Inside the container the %s (mode %s) is owned by %s and %s.", kind, r.Mode, uidDesc, gidDesc)
	if r.Privileged {
		say("There is no ID map: the container shares the host's IDs and its root is host root.")
	}

	if r.OwnerMapped {
		line := fmt.Sprintf("Container uid %d, its owner, %s (owner bits %s).", r.ContainerUID, can(kind, r.Owner), rwx(b.owner))
		if b.owner&(b.group|b.other) != b.group|b.other {
			line += " The owner gets only the owner bits, even where the group or other bits allow more."
		}
		lines = append(lines, line)
	} else {
		line := fmt.Sprintf("No container user owns it: host uid %d is not mapped into the container.", r.Host.UID)
		if h, ok := m.HostUID(OverflowID); ok {
			line += fmt.Sprintf(" Container uid %d (host %d) is not its owner either, although ls shows nobody: it counts as other.", OverflowID, h)
		}
		lines = append(lines, line)
	}

	if r.GroupMapped {
		say("Members of container group %d, other than its owner, %s (group bits %s).", r.ContainerGID, can(kind, r.Group), rwx(b.group))
	} else {
		// LXC drops inherited supplementary groups, and inside the container
		// only mapped groups can be joined, so no process is in this group.
		say("No container user is in its group: host gid %d is not mapped, so the group bits %s apply to nobody.", r.Host.GID, rwx(b.group))
	}

	other := "Every other container user"
	if ex, ok := r.ExampleOther(m); ok {
		other += fmt.Sprintf(", for example uid %d (%s),", ex, host(m.HostUID, ex))
	}
	why := ""
	if kind == "socket" {
		why = "; connecting needs the w bit"
	}
	line := fmt.Sprintf("%s %s (other bits %s%s)", other, can(kind, r.Other), rwx(b.other), why)
	if !r.Other.Write {
		extra := uint32(2)
		if kind == "directory" {
			extra = 3 // creating entries needs w and x
		}
		widened := b
		widened.other |= extra
		line += fmt.Sprintf("; to let them %s, chmod it to %s", writePhrase[kind], widened)
		if r.GroupMapped && r.Group.Write {
			line += fmt.Sprintf(" or add them to group %d", r.ContainerGID)
		}
	}
	lines = append(lines, line+".")

	lines = append(lines, r.explainRoot(m))
	if kind == "directory" && b.setgid {
		say("Entries created in it get its group %d (setgid), not the creator's group.", r.ContainerGID)
	}
	if kind == "directory" && b.sticky {
		say("It is sticky: users other than its owner may delete or rename only the entries they own.")
	}
	say("Every folder above it must also let the user enter it (x bit).")
	return lines
}

// explainRoot says what container root may do and why.
func (r AccessReport) explainRoot(m IDMap) string {
	rootHost := "host 0"
	if h, ok := m.HostUID(0); ok && !r.Privileged {
		rootHost = fmt.Sprintf("host %d", h)
	}
	switch {
	case r.Privileged:
		return fmt.Sprintf("Container root is host root: it %s, whatever the mode says.", can(r.Kind, r.Root))
	case r.RootOverrides:
		return fmt.Sprintf("Container root (uid 0, %s) has CAP_DAC_OVERRIDE over it, since its owner and group are both mapped into the container: it %s, whatever the mode says (unless the container drops that capability).",
			rootHost, can(r.Kind, r.Root))
	}
	unmapped := fmt.Sprintf("host uid %d", r.Host.UID)
	if r.OwnerMapped {
		unmapped = fmt.Sprintf("host gid %d", r.Host.GID)
	}
	class := "other"
	switch {
	case r.OwnerMapped && r.ContainerUID == 0:
		class = "owner"
	case r.GroupMapped && r.ContainerGID == 0:
		class = "group"
	}
	return fmt.Sprintf("Container root (uid 0, %s) has no CAP_DAC_OVERRIDE over it: capabilities in a user namespace count only for objects whose owner and group are both mapped into it, and %s is not. The mode bits apply to it as to any user, here the %s bits: it %s.",
		rootHost, unmapped, class, can(r.Kind, r.Root))
}

// ExampleOther picks a concrete container user of the "other" class: not
// root, not the owner, and (taking its primary group to equal its uid, as
// usual) not in the group.
func (r AccessReport) ExampleOther(m IDMap) (int, bool) {
	fits := func(id int) bool {
		if _, ok := m.HostUID(id); !ok && !r.Privileged {
			return false
		}
		return id != 0 && !(r.OwnerMapped && id == r.ContainerUID) && !(r.GroupMapped && id == r.ContainerGID)
	}
	for _, id := range []int{1000, 2000} {
		if fits(id) {
			return id, true
		}
	}
	for id := 1; id < 1000; id++ {
		if fits(id) {
			return id, true
		}
	}
	return 0, false
}
