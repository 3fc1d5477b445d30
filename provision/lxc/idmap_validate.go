package lxc

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
)

// Validate reports every problem of the request at once, each naming the
// value at fault and what to change; nil when NewIDMap can build the map.
// Duplicate kept IDs are not a problem: they are counted once.
func (r IDMapRequest) Validate() error {
	var errs *multierror.Error
	add := func(format string, args ...any) {
		errs = multierror.Append(errs, fmt.Errorf(format, args...))
	}
	sizeOK := r.Size >= 1
	if !sizeOK {
		add("id map size %d: must be at least 1 (the guide uses %d)", r.Size, DefaultIDMapSize)
	}
	if r.Base < 0 {
		add("id map base %d: must be 0 or more (the guide uses %d)", r.Base, DefaultIDMapBase)
	}
	// Compare without overflowing int on 32-bit platforms.
	if r.Base >= 0 && sizeOK && int64(r.Base)+int64(r.Size)-1 > MaxHostID {
		add("id map base %d + size %d: the last host ID %d is past %d, the highest valid ID; lower the base or the size",
			r.Base, r.Size, int64(r.Base)+int64(r.Size)-1, int64(MaxHostID))
	}
	for _, kind := range []struct {
		name string
		ids  []int
	}{{"uid", r.KeepUIDs}, {"gid", r.KeepGIDs}} {
		valid := true
		for _, id := range dedupe(kind.ids) {
			switch {
			case sizeOK && (id < 0 || id >= r.Size):
				valid = false
				add("kept %s %d: outside the container's IDs 0-%d (size %d); keep an ID in that range or raise the size",
					kind.name, id, r.Size-1, r.Size)
			case !sizeOK && id < 0:
				valid = false
				add("kept %s %d: must be 0 or more", kind.name, id)
			case r.Base >= 0 && sizeOK && id >= r.Base && id-r.Base < r.Size:
				// Kept ID k maps to host k, but host k is also where the shifted
				// container ID k-Base lands: two container IDs on one host ID.
				valid = false
				hint := fmt.Sprintf("choose a base above %d", id)
				if id-r.Size >= 0 {
					hint += fmt.Sprintf(" or at most %d", id-r.Size)
				}
				add("kept %s %d: host ID %d is already used by the shifted range %d-%d (container ID %d); %s",
					kind.name, id, id, r.Base, r.Base+r.Size-1, id-r.Base, hint)
			}
		}
		if valid && sizeOK && r.Base >= 0 {
			if n := len(mapRanges(kind.name[0], r.Base, r.Size, dedupe(kind.ids))); n > MaxIDMapRanges {
				add("kept %ss make %d ranges: Linux accepts at most %d lines per map; keep runs of consecutive IDs instead of scattered ones",
					kind.name, n, MaxIDMapRanges)
			}
		}
	}
	if errs != nil {
		errs.ErrorFormat = oneLine // the CLI prints an error as one line
	}
	return errs.ErrorOrNil()
}
