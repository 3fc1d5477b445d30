package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// imageChanges are what a run on an image makes of its input outside the
// contents of the containers it writes, gathered step by step in the
// run's order (an apply file's remove, then each group of containers):
// the input's paths left out, the new content of files, the folders and
// files the input lacks. The output is the input seen through the changes
// of every step. A container made from the image itself copies the input
// seen through the changes of the steps before it — what a target folder
// holds when that container is built — so an apply file gives the same
// tree on an image and on a folder.
type imageChanges struct {
	gone    []string          // local paths left out, each with all below it
	content map[string][]byte // new content by local path, of input files and added ones
	dirs    []addedDir        // folders the input lacks, each after its parent
	files   []string          // files the input lacks, in the order added
	added   map[string]bool   // the names in dirs and files
}

// addedDir is a folder a run adds.
type addedDir struct {
	name  string
	owner fileOwner
	mode  fs.FileMode
}

func (ch *imageChanges) clone() *imageChanges {
	return &imageChanges{gone: slices.Clone(ch.gone), content: maps.Clone(ch.content),
		dirs: slices.Clone(ch.dirs), files: slices.Clone(ch.files), added: maps.Clone(ch.added)}
}

// addRemove takes in a remove: what goes, and the files it restores.
func (ch *imageChanges) addRemove(rp *RemovePlan) error {
	ch.gone = append(ch.gone, rp.gone...)
	for _, e := range rp.Edits {
		if err := ch.addEdit(rp.target, e); err != nil {
			return err
		}
	}
	return nil
}

// addPlan takes in what a provision plan makes besides its containers'
// contents: the container folders (with the parents they lack; a replaced
// one is left out of the input and written anew), the share folders it
// creates, and its edits.
func (ch *imageChanges) addPlan(ip *ImagePlan) error {
	x := ip.index
	for _, c := range ip.Containers {
		if c.Action == ActionUnchanged {
			continue
		}
		dir, err := inroot.Resolve(x, c.Dir, false)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", inroot.Describe(x, c.Dir), err)
		}
		if c.Action == ActionReplace {
			ch.gone = append(ch.gone, dir)
		}
		parts, err := ch.missing(x, dir)
		if err != nil {
			return fmt.Errorf("look at %s: %w", inroot.Describe(x, c.Dir), err)
		}
		for _, p := range parts {
			ch.addDir(addedDir{p, fileOwner{}, 0o755})
		}
	}
	for _, s := range ip.Shares {
		if !s.Create {
			continue
		}
		resolved, err := inroot.Resolve(x, s.Host, true)
		if err != nil {
			return fmt.Errorf("share folder %s: %w", s.Host, err)
		}
		parts, err := ch.missing(x, resolved)
		if err != nil {
			return fmt.Errorf("share folder %s: %w", s.Host, err)
		}
		for i, p := range parts {
			d := addedDir{p, fileOwner{}, 0o755}
			if i == len(parts)-1 {
				d.owner, d.mode = fileOwner{s.Owner.UID, s.Owner.GID}, s.mode
			}
			ch.addDir(d)
		}
	}
	for _, e := range ip.Edits {
		if err := ch.addEdit(x, e); err != nil {
			return err
		}
	}
	return nil
}

// addEdit gives a file its new content: an input file's, or one the input
// lacks (an /etc/subgid the device needs), which is added.
func (ch *imageChanges) addEdit(x inroot.FS, e *Edit) error {
	if !e.Changed() {
		return nil
	}
	resolved, err := inroot.Resolve(x, e.Path, true)
	if err != nil {
		return fmt.Errorf("write %s: %w", inroot.Describe(x, e.Path), err)
	}
	if slices.Contains(ch.gone, resolved) && !ch.added[resolved] && len(e.New) == 0 {
		return nil // a file left empty, gone as a whole
	}
	missing, err := ch.missing(x, resolved)
	if err != nil {
		return fmt.Errorf("look at %s: %w", inroot.Describe(x, e.Path), err)
	}
	if len(missing) > 0 && !ch.added[resolved] {
		ch.files = append(ch.files, resolved)
		ch.mark(resolved)
	}
	if ch.content == nil {
		ch.content = map[string][]byte{}
	}
	ch.content[resolved] = e.New
	return nil
}

func (ch *imageChanges) addDir(d addedDir) {
	if !ch.added[d.name] {
		ch.dirs = append(ch.dirs, d)
		ch.mark(d.name)
	}
}

func (ch *imageChanges) mark(name string) {
	if ch.added == nil {
		ch.added = map[string]bool{}
	}
	ch.added[name] = true
}

// missing returns the local path resolved (resolved in x) and its parents
// that the input seen through the changes lacks, topmost first.
func (ch *imageChanges) missing(x inroot.FS, resolved string) ([]string, error) {
	var missing []string
	for cur := resolved; cur != "." && !ch.added[cur]; cur = path.Dir(cur) {
		_, err := x.Lstat(cur)
		if err == nil && !under(cur, ch.gone) {
			break
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append([]string{cur}, missing...)
	}
	return missing, nil
}
