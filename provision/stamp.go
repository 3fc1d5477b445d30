package provision

import (
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// stamp gives what the run wrote, and the folders whose listing it
// changed, the time SOURCE_DATE_EPOCH sets, so that an image made from the
// target is the same on every build (Buildroot's BR2_REPRODUCIBLE and
// Yocto's REPRODUCIBLE_TIMESTAMP_ROOTFS give every file that time before
// the hooks run). The rootfs copies were clamped to it while written.
func (p *Plan) stamp(tx *transaction) error {
	if p.clock.IsZero() {
		return nil
	}
	var names []string
	// chain adds from and every folder below it on the way to to.
	chain := func(from, to string) {
		names = append(names, from)
		rel, ok := strings.CutPrefix(to, from+"/")
		if from == "." {
			rel, ok = to, true
		}
		if !ok {
			return
		}
		cur := from
		for _, part := range strings.Split(rel, "/") {
			cur = path.Join(cur, part)
			names = append(names, cur)
		}
	}
	for _, s := range tx.stages {
		chain(s.parent, s.final)
		rootfs := path.Join(s.final, "rootfs")
		names = append(names, path.Join(s.final, "config"), path.Join(s.final, stateFile))
		sub, err := p.root.OpenRoot(rootfs)
		if err != nil {
			return err
		}
		names = append(names, rootfs)
		for _, share := range p.Shares {
			if point, err := inroot.Resolve(sub, share.Container, true); err == nil {
				chain(rootfs, path.Join(rootfs, point))
			}
		}
		sub.Close()
	}
	for _, s := range tx.shares {
		chain(path.Dir(s.top), s.folder)
	}
	for _, e := range tx.edits {
		names = append(names, path.Dir(e.resolved), e.resolved)
	}
	return tx.w.SetTimes(names, p.clock)
}
