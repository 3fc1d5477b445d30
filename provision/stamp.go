package provision

import (
	"path"
	"strings"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// stamp gives what the run wrote, and the folders whose listing it
// changed, the time SOURCE_DATE_EPOCH sets, so that an image made from the
// target is the same on every build (Buildroot's BR2_REPRODUCIBLE and
// Yocto's REPRODUCIBLE_TIMESTAMP_ROOTFS give every file that time before
// the hooks run). The rootfs copies were clamped to it while written.
// Parts are stamped as soon as they are written, too (stampNow), so that a
// run killed before this point and run again ends with the same times.
func (p *Plan) stamp(tx *transaction) error {
	if p.clock.IsZero() {
		return nil
	}
	var names []string
	for _, s := range tx.stages {
		container, err := p.containerNames(s.parent, s.final)
		if err != nil {
			return err
		}
		names = append(names, container...)
	}
	for _, s := range tx.shares {
		names = append(names, chainNames(path.Dir(s.top), s.folder)...)
	}
	for _, e := range tx.edits {
		names = append(names, path.Dir(e.resolved), e.resolved)
	}
	return tx.w.SetTimes(names, p.clock)
}

// stampNow gives names the SOURCE_DATE_EPOCH time, when it is set.
func (p *Plan) stampNow(w targetWriter, names ...string) error {
	return stampAt(w, p.clock, names...)
}

// stampAt gives names the time clock, unless it is zero.
func stampAt(w targetWriter, clock time.Time, names ...string) error {
	if clock.IsZero() {
		return nil
	}
	return w.SetTimes(names, clock)
}

// containerNames lists what a container folder at final (local) holds
// that the run wrote, and the folders from top (an existing folder above
// it) down to it: their listings changed.
func (p *Plan) containerNames(top, final string) ([]string, error) {
	names := chainNames(top, final)
	rootfs := path.Join(final, "rootfs")
	names = append(names, path.Join(final, "config"), path.Join(final, stateFile), rootfs)
	sub, err := p.root.OpenRoot(rootfs)
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	for _, share := range p.Shares {
		if point, err := inroot.Resolve(sub, share.Container, true); err == nil {
			names = append(names, chainNames(rootfs, path.Join(rootfs, point))...)
		}
	}
	return names, nil
}

// chainNames lists from and every folder below it on the way to to.
func chainNames(from, to string) []string {
	names := []string{from}
	rel, ok := strings.CutPrefix(to, from+"/")
	if from == "." {
		rel, ok = to, true
	}
	if !ok {
		return names
	}
	cur := from
	for _, part := range strings.Split(rel, "/") {
		cur = path.Join(cur, part)
		names = append(names, cur)
	}
	return names
}
