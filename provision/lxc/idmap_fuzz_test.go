package lxc

import (
	"encoding/binary"
	"slices"
	"testing"
)

// FuzzIDMap builds maps from arbitrary requests and checks that NewIDMap
// refuses exactly the invalid ones and that every map it returns is correct
// and minimal.
func FuzzIDMap(f *testing.F) {
	f.Add(int64(100000), int64(65536), []byte{0xe8, 0x03}, []byte{0xe8, 0x03})
	f.Add(int64(100000), int64(65536), []byte{0, 0, 0xff, 0xff, 0xe8, 0x03, 0xe9, 0x03}, []byte{})
	f.Add(int64(0), int64(10), []byte{1, 0}, []byte{})
	f.Add(int64(1000), int64(65536), []byte{0xe8, 0x03}, []byte{})
	f.Add(int64(-1), int64(0), []byte{}, []byte{})
	f.Add(int64(1<<32-3), int64(2), []byte{}, []byte{})
	f.Add(int64(5), int64(1<<31), []byte{0, 0, 9, 9, 9, 9}, []byte{4, 0})
	f.Fuzz(func(t *testing.T, base, size int64, uidBytes, gidBytes []byte) {
		req := IDMapRequest{Base: int(base), Size: int(size), KeepUIDs: keptIDs(uidBytes), KeepGIDs: keptIDs(gidBytes)}
		m, err := NewIDMap(req)
		if want := invalidReason(req); (err != nil) != (want != "") {
			t.Fatalf("NewIDMap(%+v) error %v, but the request is %s", req, err, orValid(want))
		}
		if err != nil {
			return
		}
		checkIDMapInvariants(t, req, m)
	})
}

// keptIDs reads 16-bit little-endian IDs, so fuzzed IDs land near the
// interesting values (0, 1000, 65535) rather than anywhere in 2^63.
func keptIDs(b []byte) []int {
	var ids []int
	for ; len(b) >= 2; b = b[2:] {
		ids = append(ids, int(binary.LittleEndian.Uint16(b)))
	}
	if len(b) == 1 {
		ids = append(ids, -int(b[0])) // a trailing byte tries a negative ID
	}
	return ids
}

func orValid(reason string) string {
	if reason == "" {
		return "valid"
	}
	return "invalid: " + reason
}

// invalidReason restates the rules independently of Validate.
func invalidReason(r IDMapRequest) string {
	switch {
	case r.Size < 1:
		return "size below 1"
	case r.Base < 0:
		return "negative base"
	case int64(r.Base)+int64(r.Size) > 1<<32-1:
		return "past the last host ID"
	}
	for _, keep := range [][]int{r.KeepUIDs, r.KeepGIDs} {
		for _, id := range keep {
			if id < 0 || id >= r.Size {
				return "kept ID outside the size"
			}
			if id >= r.Base && id < r.Base+r.Size {
				return "kept ID inside the shifted host range"
			}
		}
		if countRuns(keep, r.Size) > MaxIDMapRanges {
			return "too many ranges"
		}
	}
	return ""
}

// countRuns counts ranges from first principles: each run of consecutive kept
// IDs is one range, and each gap between runs (or the edges) is one more.
func countRuns(keep []int, size int) int {
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	ids := make([]int, 0, len(kept))
	for id := range kept {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	n, next := 0, 0
	for i, id := range ids {
		if i == 0 || id != ids[i-1]+1 { // a new run
			if id > next {
				n++ // the gap before it
			}
			n++
		}
		next = id + 1
	}
	if next < size {
		n++
	}
	return n
}

// checkIDMapInvariants checks a map against its request: container IDs
// [0, Size) each map to exactly one host ID (kept IDs to themselves, the rest
// to Base+ID), no two ranges overlap on either side, and no two neighbouring
// ranges could have been written as one.
func checkIDMapInvariants(t *testing.T, req IDMapRequest, m IDMap) {
	t.Helper()
	for _, side := range []struct {
		kind   byte
		ranges []Range
		keep   []int
		lookup func(int) (int, bool)
	}{{'u', m.UID, req.KeepUIDs, m.HostUID}, {'g', m.GID, req.KeepGIDs, m.HostGID}} {
		kept := dedupe(side.keep)
		keptIn := func(from, count int) int { // kept IDs in [from, from+count)
			lo, _ := slices.BinarySearch(kept, from)
			hi, _ := slices.BinarySearch(kept, from+count)
			return hi - lo
		}
		next := 0
		for i, r := range side.ranges {
			if r.Kind != side.kind || r.Count < 1 || r.ContainerID != next {
				t.Fatalf("%c range %d %v: want kind %c, count ≥ 1, starting at %d", side.kind, i, r, side.kind, next)
			}
			next += r.Count
			switch n := keptIn(r.ContainerID, r.Count); {
			case n == r.Count && r.HostID == r.ContainerID: // kept IDs map to themselves
			case n == 0 && r.HostID == req.Base+r.ContainerID: // others are shifted
			default:
				t.Fatalf("%c range %v holds %d kept IDs of %d, host ID %d", side.kind, r, n, r.Count, r.HostID)
			}
			if i > 0 && side.ranges[i-1].HostID+side.ranges[i-1].Count == r.HostID {
				t.Fatalf("%c ranges %v and %v could be one", side.kind, side.ranges[i-1], r)
			}
		}
		if next != req.Size {
			t.Fatalf("%c ranges cover 0-%d, want 0-%d", side.kind, next-1, req.Size-1)
		}
		byHost := slices.Clone(side.ranges)
		slices.SortFunc(byHost, func(a, b Range) int { return a.HostID - b.HostID })
		for i := 1; i < len(byHost); i++ {
			if byHost[i-1].HostID+byHost[i-1].Count > byHost[i].HostID {
				t.Fatalf("%c host ranges %v and %v overlap", side.kind, byHost[i-1], byHost[i])
			}
		}
		// ID by ID through the public lookup, where that stays quick.
		if req.Size <= 1<<17 {
			for id := 0; id < req.Size; id++ {
				want := req.Base + id
				if _, ok := slices.BinarySearch(kept, id); ok {
					want = id
				}
				if got, ok := side.lookup(id); !ok || got != want {
					t.Fatalf("%c container ID %d → %d, %v; want %d", side.kind, id, got, ok, want)
				}
			}
		}
		for _, id := range []int{-1, req.Size} {
			if _, ok := side.lookup(id); ok {
				t.Fatalf("%c container ID %d is mapped, want unmapped", side.kind, id)
			}
		}
	}
}
