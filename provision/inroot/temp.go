package inroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
)

// TempPrefix starts the name of everything a run makes out of sight in a
// target: its staging folders (".thunder-lxc-PID-N"), the new versions of
// the files it edits while they are written (".thunder-lxc-PID-N.NAME.new")
// and the old files kept until the run ends (".thunder-lxc-PID-N.NAME.old").
// A run that dies leaves them; the next run knows them by this name (see
// Leftovers), and a folder source never copies them.
const TempPrefix = ".thunder-lxc-"

// Roles of a temporary file that stands in for a file: its new version
// being written, or its old self kept for undo. The role ends the name, so
// that a left-over copy of common.conf.d/10-x.conf does not end in ".conf"
// (LXC would include it, as it includes every *.conf of the folder) and
// one of a plugin config does not end in ".json".
const (
	TempNew = "new"
	TempOld = "old"
)

// tempName matches the names made with TempPrefix.
var tempName = regexp.MustCompile(`^\.thunder-lxc-[0-9]+-[0-9]+(\..+\.(new|old))?$`)

// IsTemp tells whether a file name is one a run makes out of sight.
func IsTemp(name string) bool { return tempName.MatchString(name) }

// TempName is the n-th candidate name of a run's temporary file standing
// in for the file name in role (TempNew or TempOld).
func TempName(n int, name, role string) string {
	return fmt.Sprintf("%s%d-%d.%s.%s", TempPrefix, os.Getpid(), n, name, role)
}

// createTemp creates a new file with a unique temporary name in dir of
// the root, the new version of the file name.
func createTemp(root *os.Root, dir, name string) (*tempFile, error) {
	for i := 0; ; i++ {
		candidate := path.Join(dir, TempName(i, name, TempNew))
		f, err := root.OpenFile(candidate, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && i < 1000 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &tempFile{File: f, relName: candidate}, nil
	}
}

// MkdirTemp creates a new folder with a unique name (prefix, the process
// ID and a number) in dir of the root and returns its name relative to
// the root; with TempPrefix, a temporary name.
func MkdirTemp(root *os.Root, dir, prefix string, perm fs.FileMode) (string, error) {
	for i := 0; ; i++ {
		name := path.Join(dir, fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), i))
		err := root.Mkdir(name, perm)
		if errors.Is(err, fs.ErrExist) && i < 1000 {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
}

// LeftoverPlaces are the folders where a run makes its temporary files and
// folders, for the device paths of the data path, of other folders whose
// files it edits and of the files it edits: every folder from the root
// down to the data path (a container's staging folder is made in the
// deepest one that exists), the data path's folders (one per container),
// the folders, and the folders of the files. Names are resolved local
// paths, without repeats.
func LeftoverPlaces(root FS, dataPath string, folders, files []string) []string {
	seen := map[string]bool{}
	var places []string
	add := func(dir string) {
		if !seen[dir] {
			seen[dir] = true
			places = append(places, dir)
		}
	}
	if data, err := Resolve(root, dataPath, true); err == nil {
		for dir := data; ; dir = path.Dir(dir) {
			add(dir)
			if dir == "." {
				break
			}
		}
		entries, _ := fs.ReadDir(root.FS(), data)
		for _, e := range entries {
			if e.IsDir() && !IsTemp(e.Name()) {
				add(path.Join(data, e.Name()))
			}
		}
	}
	for _, dir := range folders {
		if resolved, err := Resolve(root, dir, true); err == nil {
			add(resolved)
		}
	}
	for _, f := range files {
		if resolved, err := Resolve(root, f, true); err == nil {
			add(path.Dir(resolved))
		}
	}
	return places
}

// Leftovers lists the temporary files and folders (TempPrefix) in the
// folders places (resolved local paths), sorted. Only a caller that holds
// the target's lock (see Lock) may call them a dead run's.
func Leftovers(root FS, places []string) []string {
	var found []string
	for _, dir := range places {
		entries, err := fs.ReadDir(root.FS(), dir)
		if err != nil {
			continue // a missing or unreadable folder holds nothing of ours
		}
		for _, e := range entries {
			if IsTemp(e.Name()) {
				found = append(found, path.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(found)
	return found
}
