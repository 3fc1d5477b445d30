package lxc

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Defaults of the Thunder LXC guide: container IDs 0-65535 shifted to host
// IDs 100000-165535.
const (
	DefaultIDMapBase = 100000
	DefaultIDMapSize = 65536
)

// MaxHostID is the highest valid host user or group ID: uid_t is 32 bits and
// (uid_t)-1 means "no ID" to chown(2) and setresuid(2), so it cannot be mapped.
const MaxHostID = 1<<32 - 2

// MaxIDMapRanges is how many lines one uid_map or gid_map may hold since
// Linux 4.15; older kernels accept only 5 (see user_namespaces(7)).
const MaxIDMapRanges = 340

// OldKernelMaxIDMapRanges is the limit of kernels older than 4.15, which
// embedded devices still run: a map longer than this fails there.
const OldKernelMaxIDMapRanges = 5

// IDMapRequest asks for an ID map: container IDs [0, Size) map to host IDs
// [Base, Base+Size), except the kept IDs, which map to themselves (the
// guide's pass-through IDs such as 1000 → 1000 for a shared folder).
type IDMapRequest struct {
	Base     int   `json:"base"`
	Size     int   `json:"size"`
	KeepUIDs []int `json:"keepUIDs,omitempty"`
	KeepGIDs []int `json:"keepGIDs,omitempty"`
}

// DefaultIDMapRequest is the guide's map, nothing kept.
func DefaultIDMapRequest() IDMapRequest {
	return IDMapRequest{Base: DefaultIDMapBase, Size: DefaultIDMapSize}
}

// Range is one lxc.idmap line: Count IDs starting at ContainerID inside the
// container are HostID... on the host. Kind is 'u' (users) or 'g' (groups).
type Range struct {
	Kind        byte
	ContainerID int
	HostID      int
	Count       int
}

// String is the lxc.idmap value, e.g. "u 0 100000 1000".
func (r Range) String() string {
	return fmt.Sprintf("%c %d %d %d", r.Kind, r.ContainerID, r.HostID, r.Count)
}

// ParseIDMapLine reads an lxc.idmap value the way liblxc 5.0.2 accepts it:
// "u" or "g", then the container ID, host ID and count as unsigned 32-bit
// numbers; false for anything else, which makes LXC refuse the config.
func ParseIDMapLine(value string) (Range, bool) {
	f := strings.Fields(value)
	if len(f) != 4 || (f[0] != "u" && f[0] != "g") {
		return Range{}, false
	}
	var n [3]int
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return Range{}, false
		}
		n[i] = int(v)
	}
	return Range{Kind: f[0][0], ContainerID: n[0], HostID: n[1], Count: n[2]}, true
}

type rangeJSON struct {
	Kind        string `json:"kind"`
	ContainerID int    `json:"container"`
	HostID      int    `json:"host"`
	Count       int    `json:"count"`
}

// MarshalJSON writes the kind as "u" or "g" rather than a byte value.
func (r Range) MarshalJSON() ([]byte, error) {
	return json.Marshal(rangeJSON{string(rune(r.Kind)), r.ContainerID, r.HostID, r.Count})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Range) UnmarshalJSON(data []byte) error {
	var v rangeJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if v.Kind != "u" && v.Kind != "g" {
		return fmt.Errorf("id map range kind %q: want \"u\" or \"g\"", v.Kind)
	}
	*r = Range{v.Kind[0], v.ContainerID, v.HostID, v.Count}
	return nil
}

// IDMap is the computed map; both lists are sorted by ContainerID and cover
// [0, Size) without gaps.
type IDMap struct {
	UID []Range `json:"uid"`
	GID []Range `json:"gid"`
}

// NewIDMap computes the minimal ranges for r, or returns every problem of r.
func NewIDMap(r IDMapRequest) (IDMap, error) {
	if err := r.Validate(); err != nil {
		return IDMap{}, err
	}
	return IDMap{
		UID: mapRanges('u', r.Base, r.Size, dedupe(r.KeepUIDs)),
		GID: mapRanges('g', r.Base, r.Size, dedupe(r.KeepGIDs)),
	}, nil
}

// dedupe returns the kept IDs sorted, each once.
func dedupe(ids []int) []int {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// mapRanges does what the guide does by hand: shifted IDs up to a kept run,
// the kept run mapped to itself, shifted IDs again after it. Runs of
// consecutive kept IDs (1000, 1001) become one range, and no empty range is
// written for a kept ID at either edge. A shifted range never merges with a
// kept one: that would need Base 0, which Validate refuses when IDs are kept.
func mapRanges(kind byte, base, size int, keep []int) []Range {
	var out []Range
	next := 0 // first container ID not yet mapped
	for i := 0; i < len(keep); {
		start := keep[i]
		end := start + 1 // exclusive end of this run of consecutive kept IDs
		for i++; i < len(keep) && keep[i] == end; i++ {
			end++
		}
		if start > next {
			out = append(out, Range{kind, next, base + next, start - next})
		}
		out = append(out, Range{kind, start, start, end - start})
		next = end
	}
	if next < size {
		out = append(out, Range{kind, next, base + next, size - next})
	}
	return out
}

// Lines returns the lxc.idmap values, all user ranges then all group ranges.
func (m IDMap) Lines() []string {
	lines := make([]string, 0, len(m.UID)+len(m.GID))
	for _, r := range m.UID {
		lines = append(lines, r.String())
	}
	for _, r := range m.GID {
		lines = append(lines, r.String())
	}
	return lines
}

// HostUID is the host user ID behind a container user ID; ok is false when
// the container ID is not mapped.
func (m IDMap) HostUID(containerID int) (int, bool) { return toHost(m.UID, containerID) }

// HostGID is the host group ID behind a container group ID.
func (m IDMap) HostGID(containerID int) (int, bool) { return toHost(m.GID, containerID) }

// ContainerUID is the container user ID a host user ID appears as; ok is
// false when the host ID is not mapped (the container then shows 65534).
func (m IDMap) ContainerUID(hostID int) (int, bool) { return toContainer(m.UID, hostID) }

// ContainerGID is the container group ID a host group ID appears as.
func (m IDMap) ContainerGID(hostID int) (int, bool) { return toContainer(m.GID, hostID) }

func toHost(ranges []Range, id int) (int, bool) {
	// Ranges are sorted by ContainerID: find the last one starting at or before id.
	i := sort.Search(len(ranges), func(i int) bool { return ranges[i].ContainerID > id }) - 1
	if i < 0 || id >= ranges[i].ContainerID+ranges[i].Count {
		return 0, false
	}
	return ranges[i].HostID + id - ranges[i].ContainerID, true
}

func toContainer(ranges []Range, id int) (int, bool) {
	for _, r := range ranges {
		if id >= r.HostID && id < r.HostID+r.Count {
			return r.ContainerID + id - r.HostID, true
		}
	}
	return 0, false
}

// HostRanges returns the host IDs the map uses, sorted by HostID: the ranges
// root must be granted in /etc/subuid and /etc/subgid when LXC maps through
// newuidmap and newgidmap.
func (m IDMap) HostRanges() (uid, gid []Range) {
	byHost := func(rs []Range) []Range {
		out := slices.Clone(rs)
		slices.SortFunc(out, func(a, b Range) int { return a.HostID - b.HostID })
		return out
	}
	return byHost(m.UID), byHost(m.GID)
}
