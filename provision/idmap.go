package provision

import (
	"errors"

	"github.com/hashicorp/go-multierror"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// idmapRequest turns the request's flags into the ID map request.
func (r *Request) idmapRequest() lxc.IDMapRequest {
	return lxc.IDMapRequest{Base: r.IDMapBase, Size: r.IDMapSize, KeepUIDs: r.KeepUIDs, KeepGIDs: r.KeepGIDs}
}

// idmapFields are the request keys of lxc.IDMapRequest's fields.
var idmapFields = map[string]string{"Base": "idmap-base", "Size": "idmap-size", "KeepUIDs": "keep-uid", "KeepGIDs": "keep-gid"}

// idmapFieldErrors turns the problems of lxc.IDMapRequest.Validate into
// FieldErrors. A problem the uid and the gid side share (an ID given with
// keep-id lands in both lists) is reported once, for keep-id.
func idmapFieldErrors(err error) []error {
	var list *multierror.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &list):
		return []error{err}
	}
	type problem struct {
		value  any
		reason string
	}
	sides := map[string]map[problem]bool{"KeepUIDs": {}, "KeepGIDs": {}}
	for _, e := range list.Errors {
		if p, ok := e.(*lxc.IDMapProblem); ok && sides[p.Field] != nil {
			sides[p.Field][problem{p.Value, p.Reason}] = true
		}
	}
	var out []error
	for _, e := range list.Errors {
		p, ok := e.(*lxc.IDMapProblem)
		if !ok {
			out = append(out, e)
			continue
		}
		field, shared := idmapFields[p.Field], sides["KeepUIDs"][problem{p.Value, p.Reason}] && sides["KeepGIDs"][problem{p.Value, p.Reason}]
		switch {
		case shared && p.Field == "KeepGIDs":
			continue // said with the uid side
		case shared:
			field = "keep-id"
		}
		out = append(out, &FieldError{Field: field, Value: p.Value, Err: errors.New(p.Reason)})
	}
	return out
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
		return 0, fieldErrorf("idmap-size", s.size, "owner uid %d is outside the container's IDs 0-%d: raise the size, or keep the source's owners with no-shift-ids", id, s.size-1)
	}
	return host, nil
}

func (s shifter) gid(id int) (int, error) {
	host, ok := s.m.HostGID(id)
	if !ok {
		return 0, fieldErrorf("idmap-size", s.size, "group gid %d is outside the container's IDs 0-%d: raise the size, or keep the source's owners with no-shift-ids", id, s.size-1)
	}
	return host, nil
}
