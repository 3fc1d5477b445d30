package applyfile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/go-multierror"

	"github.com/thunder-lxc/thunder-lxc/provision"
)

// Requests are the provision requests of the file's containers, in the
// file's order, with cli (the command line's settings) over the file's;
// remove are the callsigns to remove. Every problem, of the file and of
// each request, is reported at once in one list, each named by its place
// (containers[1].keep-id[0], --keep-id for a flag).
func (f *File) Requests(cli Settings) (reqs []provision.Request, remove []string, err error) {
	problems := slices.Clone(f.Problems)
	seen := map[string]bool{}
	add := func(e error) {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			problems = append(problems, e)
		}
	}
	defaults := f.Defaults.over(cli)
	if _, set := defaults["target"]; !set {
		add(errors.New("target: name the target folder, at the top of the file (target: output/target) or with --target; or give a rootfs tarball with --image IN -o OUT"))
	}
	for _, c := range f.Containers {
		s := defaults.over(c.Settings).over(cli)
		r := s.request(c.Callsign)
		if verr := r.Validate(); verr != nil && c.Callsign != "" {
			for _, e := range listOf(verr) {
				var fe *provision.FieldError
				switch {
				case errors.As(e, &fe) && fe.Field == "target":
				case errors.As(e, &fe):
					add(errors.New(provision.NameFieldValues(e, s.name)))
				default:
					add(fmt.Errorf("%s: %w", c.Where, e))
				}
			}
		}
		reqs = append(reqs, r)
	}
	for i, cs := range f.Remove {
		if verr := (&provision.RemoveRequest{Callsigns: []string{cs}, Target: "-"}).Validate(); verr != nil {
			add(fmt.Errorf("remove[%d]: %w", i, verr))
		}
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("apply file %q: %w", f.Name, provision.JoinProblems(problems...))
	}
	return reqs, f.Remove, nil
}

// listOf is the problems of a collected list, or err alone.
func listOf(err error) []error {
	var list *multierror.Error
	if errors.As(err, &list) {
		return list.Errors
	}
	return []error{err}
}
