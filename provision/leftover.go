package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// findLeftovers lists what runs that did not end (killed, or the machine
// went down) left where this run works: staging folders, temporary files
// of edits, old files kept for undo. BuildPlan calls it holding the
// target's lock, so no run is at work and each of them is a dead run's;
// Apply removes them first, and the report says so. A folder source never
// copies them, so they are no part of any container.
func (p *Plan) findLeftovers() {
	if p.root == nil {
		return // image: a tarball, made by no run of this tool
	}
	// Every LXC config file, not only those this run edits: an earlier run
	// may have had other edits to make.
	files := lxc.ConfigFiles(p.root, lxc.Includes(true))
	for _, e := range p.Edits {
		files = append(files, e.Path)
	}
	places := inroot.LeftoverPlaces(p.root, p.Layout.DataPath, p.Layout.PluginDirs, files)
	p.leftovers = inroot.Leftovers(p.root, places)
	if p.Request.DryRun {
		for _, l := range p.leftovers {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s was left by a thunder-lxc run that did not end: a run removes it", inroot.Describe(p.root, l)))
		}
	}
}

// removeLeftovers removes what findLeftovers found; what cannot be
// removed is named in a warning (verify reports it too).
func (p *Plan) removeLeftovers(w targetWriter, report *Report) []string {
	var removed []string
	for _, l := range p.leftovers {
		if err := w.RemoveAll(l); err != nil {
			report.Warnings = append(report.Warnings, fmt.Sprintf("%s was left by a thunder-lxc run that did not end: remove it by hand (%v)", inroot.Describe(p.root, l), err))
			continue
		}
		report.Warnings = append(report.Warnings, fmt.Sprintf("%s was left by a thunder-lxc run that did not end: removed", inroot.Describe(p.root, l)))
		removed = append(removed, "/"+l)
	}
	return removed
}

// recoverContainers puts back a container that a run which did not end
// had moved aside: killed between the two renames that replace a container
// (stage.commit), it left the target with no container, and the old one
// (with the state that knows the plugin's mode before the first run) in
// its staging folder as "old". Called once the layout is known and before
// anything is read from the container folders; a dry run only says so.
func (p *Plan) recoverContainers() error {
	if p.root == nil {
		return nil
	}
	for _, l := range inroot.Leftovers(p.root, inroot.LeftoverPlaces(p.root, p.Layout.DataPath, nil, nil)) {
		old, container := path.Join(l, "old"), path.Join(path.Dir(l), "Container")
		if info, err := p.root.Lstat(old); err != nil || !info.IsDir() {
			continue
		}
		if _, err := p.root.Lstat(container); !errors.Is(err, fs.ErrNotExist) {
			continue // the new container is in place: old is garbage
		}
		if p.Request.DryRun {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s was moved aside to %s by a thunder-lxc run that did not end: a run puts it back",
				inroot.Describe(p.root, container), old))
			continue
		}
		w, err := p.writer()
		if err != nil {
			return err
		}
		if err := w.Rename(old, container); err != nil {
			return fmt.Errorf("put back %s, which a run that did not end moved aside to %s: %w", inroot.Describe(p.root, container), old, err)
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s was put back: a thunder-lxc run that did not end had moved it aside",
			inroot.Describe(p.root, container)))
	}
	return nil
}
