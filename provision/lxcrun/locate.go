package lxcrun

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// container is a plugin's container as Thunder finds it in the target,
// with what starting it needs to know.
type container struct {
	target    *os.Root
	layout    thunder.Layout
	processes thunder.Processes
	callsign  string
	// dir is the container folder's device path; config its config, read
	// the way liblxc reads it.
	dir    string
	config *lxc.Config
	// rootfsPath is the rootfs's device path (lxc.rootfs.path without
	// "dir:"); rootfs is it opened in the target.
	rootfsPath string
	rootfs     *os.Root
}

// openContainer finds the plugin's container the way Thunder does: the
// plugin config by callsign in the layout's plugin folders, then the first
// of <volatilepath>/<callsign>, <persistentpath>/<callsign> and
// <datapath>/<classname> holding a container named Container.
func openContainer(target, layoutName, callsign string) (*container, error) {
	root, err := inroot.OpenTarget(target)
	if err != nil {
		return nil, err
	}
	c := &container{target: root, callsign: callsign}
	if err := c.find(layoutName); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *container) find(layoutName string) error {
	var err error
	if c.layout, err = thunder.ResolveLayout(c.target, layoutName); err != nil {
		return err
	}
	if c.processes, err = thunder.ReadProcesses(c.target, c.layout); err != nil {
		return err
	}
	plugin, err := thunder.FindPlugin(c.target, c.layout, c.callsign)
	if err != nil {
		return err
	}
	if c.dir, err = thunder.FindContainer(c.target, c.layout, plugin); err != nil {
		return err
	}
	configPath := path.Join(c.dir, "config")
	if c.config, err = lxc.ReadConfig(c.target, configPath); err != nil {
		return fmt.Errorf("read the container config %s: %w", inroot.Describe(c.target, configPath), err)
	}
	if c.rootfsPath, err = rootfsDevicePath(c.config); err != nil {
		return err
	}
	resolved, err := inroot.Resolve(c.target, c.rootfsPath, true)
	if err != nil {
		return fmt.Errorf("the container's rootfs %s: %w", inroot.Describe(c.target, c.rootfsPath), err)
	}
	if c.rootfs, err = c.target.OpenRoot(resolved); err != nil {
		return fmt.Errorf("the container's rootfs %s: %w", inroot.Describe(c.target, c.rootfsPath), err)
	}
	return nil
}

func (c *container) close() {
	if c.rootfs != nil {
		c.rootfs.Close()
	}
	c.target.Close()
}

// rootfsDevicePath is lxc.rootfs.path as a device path: a folder, written
// with or without "dir:". Other storage (overlay:, btrfs:, a block device)
// cannot be shown from the target.
func rootfsDevicePath(cfg *lxc.Config) (string, error) {
	l, ok := cfg.Last("lxc.rootfs.path")
	if !ok || l.Value == "" {
		return "", fmt.Errorf("%s has no lxc.rootfs.path: the container would run in the device's own root filesystem, which run does not start", cfg.Path)
	}
	p := l.Value
	if backend, rest, found := strings.Cut(p, ":"); found && !strings.HasPrefix(p, "/") {
		if backend != "dir" {
			return "", fmt.Errorf("%s %s lxc.rootfs.path = %s: a %s rootfs cannot be started from the target; run starts folder rootfses (dir:)", cfg.Path, l.Where(), p, backend)
		}
		p = rest
	}
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%s %s lxc.rootfs.path = %s: not an absolute path on the device", l.File, l.Where(), l.Value)
	}
	return path.Clean(p), nil
}
