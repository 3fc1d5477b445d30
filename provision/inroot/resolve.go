// Package inroot reaches files of a root filesystem the way that system would
// see them: a target's absolute symlink "/usr/share/lxc -> /opt/lxc" means the
// target's /opt/lxc, never the build host's. Every path it returns is local to
// the root and free of symlinks in its parent components, so os.Root can use
// it without ever being asked to leave the root.
package inroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// maxSymlinks matches Linux's limit on symlinks followed in one lookup.
const maxSymlinks = 40

// ErrTooManySymlinks is returned for symlink loops.
var ErrTooManySymlinks = errors.New("too many levels of symbolic links")

// Resolve returns name (absolute or relative, both meaning relative to the
// root) with every symlink in its parent components resolved inside root,
// chroot-style: absolute link targets start again at the root and ".." never
// climbs above it. The last component is followed only when followLast is
// true. A missing component ends the walk: the rest is returned as written
// (cleaned), since nothing below a missing folder can be a symlink.
func Resolve(root FS, name string, followLast bool) (string, error) {
	pending := split(name)
	var resolved []string
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		if comp == ".." {
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
			continue
		}
		candidate := path.Join(append(resolved, comp)...)
		if len(pending) == 0 && !followLast {
			resolved = append(resolved, comp)
			break
		}
		info, err := root.Lstat(candidate)
		if errors.Is(err, fs.ErrNotExist) {
			// Nothing below a missing folder can be a symlink; a later ".."
			// still climbs back and is resolved like any other component.
			resolved = append(resolved, comp)
			continue
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			resolved = append(resolved, comp)
			continue
		}
		if links++; links > maxSymlinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: ErrTooManySymlinks}
		}
		target, err := root.Readlink(candidate)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			resolved = resolved[:0]
		}
		pending = append(split(target), pending...)
	}
	if len(resolved) == 0 {
		return ".", nil
	}
	return path.Join(resolved...), nil
}

// split turns a slash path into its components, dropping empty and "."
// components; ".." is kept for Resolve to handle.
func split(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// Describe is used in error messages: "/etc/foo" of the target "DIR".
func Describe(root FS, name string) string {
	return fmt.Sprintf("%s (in %s)", "/"+strings.TrimPrefix(path.Clean("/"+name), "/"), root.Name())
}
