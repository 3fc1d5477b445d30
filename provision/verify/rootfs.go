package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// openRootfs opens the container's rootfs inside the target from
// lxc.rootfs.path (a device path, "dir:" or no prefix for a folder). It
// returns nil, with a finding, when there is nothing to look into.
func (t *target) openRootfs(cfg *lxc.Config, findings *findings) (*os.Root, string) {
	l, ok := cfg.Last("lxc.rootfs.path")
	if !ok || l.Value == "" {
		findings.notef(CheckRootfs, cfg.Path, "add lxc.rootfs.path = dir:<container folder>/rootfs",
			"no lxc.rootfs.path: LXC runs the plugin in the device's own root filesystem")
		r, err := t.root.OpenRoot(".")
		if err != nil {
			return nil, ""
		}
		return r, "/"
	}
	p := l.Value
	if backend, rest, ok := strings.Cut(p, ":"); ok && !strings.HasPrefix(p, "/") {
		if backend != "dir" {
			findings.notef(CheckRootfs, l.File, "none needed if the device has that storage",
				"%s lxc.rootfs.path = %s: a %s rootfs cannot be looked into on the build host, so its checks are skipped", l.Where(), p, backend)
			return nil, ""
		}
		p = rest
	}
	if !path.IsAbs(p) {
		findings.errorf(CheckRootfs, l.File, "write the rootfs's absolute path on the device",
			"%s lxc.rootfs.path = %s: not an absolute path", l.Where(), l.Value)
		return nil, ""
	}
	fix := fmt.Sprintf("put the container's root filesystem at %s in the target (thunder-lxc provision does), or point lxc.rootfs.path at it (a path on the device)", p)
	resolved, err := inroot.Resolve(t.root, p, true)
	if err != nil {
		findings.errorf(CheckRootfs, l.File, fix, "%s lxc.rootfs.path = %s: %v", l.Where(), l.Value, err)
		return nil, ""
	}
	info, err := t.root.Lstat(resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		findings.errorf(CheckRootfs, l.File, fix, "%s lxc.rootfs.path = %s: %s is not in the target", l.Where(), l.Value, p)
		return nil, ""
	case err != nil:
		findings.errorf(CheckRootfs, l.File, fix, "%s lxc.rootfs.path = %s: %v", l.Where(), l.Value, err)
		return nil, ""
	case !info.IsDir():
		findings.errorf(CheckRootfs, l.File, fix, "%s lxc.rootfs.path = %s: %s is not a folder", l.Where(), l.Value, p)
		return nil, ""
	}
	r, err := t.root.OpenRoot(resolved)
	if err != nil {
		findings.errorf(CheckRootfs, l.File, fix, "%s lxc.rootfs.path = %s: %v", l.Where(), l.Value, err)
		return nil, ""
	}
	return r, p
}
