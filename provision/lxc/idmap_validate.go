package lxc

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
)

// IDMapProblem is one problem of an IDMapRequest: the field at fault
// ("Base", "Size", "KeepUIDs" or "KeepGIDs"), its value (nil when the
// problem is the list's as a whole), and why.
type IDMapProblem struct {
	Field  string
	Value  any
	Reason string
}

// idmapFieldWords names a field in messages: "id map size 0: ...".
var idmapFieldWords = map[string]string{"Base": "id map base", "Size": "id map size", "KeepUIDs": "kept uid", "KeepGIDs": "kept gid"}

func (p *IDMapProblem) Error() string {
	if p.Value == nil {
		return fmt.Sprintf("%ss %s", idmapFieldWords[p.Field], p.Reason)
	}
	return fmt.Sprintf("%s %v: %s", idmapFieldWords[p.Field], p.Value, p.Reason)
}

// Validate reports every problem of the request at once, each an
// *IDMapProblem naming the value at fault and what to change; nil when
// NewIDMap can build the map. Duplicate kept IDs are not a problem: they
// are counted once.
func (r IDMapRequest) Validate() error {
	var errs *multierror.Error
	add := func(field string, value any, format string, args ...any) {
		errs = multierror.Append(errs, &IDMapProblem{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)})
	}
	sizeOK := r.Size >= 1
	if !sizeOK {
		add("Size", r.Size, "must be at least 1 (the guide uses %d)", DefaultIDMapSize)
	}
	if r.Base < 0 {
		add("Base", r.Base, "must be 0 or more (the guide uses %d)", DefaultIDMapBase)
	}
	// Compare without overflowing int on 32-bit platforms.
	if r.Base >= 0 && sizeOK && int64(r.Base)+int64(r.Size)-1 > MaxHostID {
		add("Base", r.Base, "with size %d the last host ID %d is past %d, the highest valid ID; lower the base or the size",
			r.Size, int64(r.Base)+int64(r.Size)-1, int64(MaxHostID))
	}
	for _, kind := range []struct {
		field string
		kind  byte
		ids   []int
	}{{"KeepUIDs", 'u', r.KeepUIDs}, {"KeepGIDs", 'g', r.KeepGIDs}} {
		valid := true
		for _, id := range dedupe(kind.ids) {
			switch {
			case sizeOK && (id < 0 || id >= r.Size):
				valid = false
				add(kind.field, id, "outside the container's IDs 0-%d (size %d); keep an ID in that range or raise the size", r.Size-1, r.Size)
			case !sizeOK && id < 0:
				valid = false
				add(kind.field, id, "must be 0 or more")
			case r.Base >= 0 && sizeOK && id >= r.Base && id-r.Base < r.Size:
				// Kept ID k maps to host k, but host k is also where the shifted
				// container ID k-Base lands: two container IDs on one host ID.
				valid = false
				hint := fmt.Sprintf("choose a base above %d", id)
				if id-r.Size >= 0 {
					hint += fmt.Sprintf(" or at most %d", id-r.Size)
				}
				add(kind.field, id, "host ID %d is already used by the shifted range %d-%d (container ID %d); %s",
					id, r.Base, r.Base+r.Size-1, id-r.Base, hint)
			}
		}
		if valid && sizeOK && r.Base >= 0 {
			if n := len(mapRanges(kind.kind, r.Base, r.Size, dedupe(kind.ids))); n > MaxIDMapRanges {
				add(kind.field, nil, "make %d ranges: Linux accepts at most %d lines per map; keep runs of consecutive IDs instead of scattered ones",
					n, MaxIDMapRanges)
			}
		}
	}
	if errs != nil {
		errs.ErrorFormat = oneLine // the CLI prints an error as one line
	}
	return errs.ErrorOrNil()
}
