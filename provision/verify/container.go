package verify

import (
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// verify runs every check on one plugin's container.
func (t *target) verify(p pluginRef) Container {
	var fs findings
	var inspect string
	dir := t.checkContainer(p, &fs, &inspect)
	return Container{Callsign: p.Callsign, Dir: dir, Findings: append([]Finding{}, fs...), Inspect: inspect}
}

// checkContainer adds the findings of one plugin's container and returns
// the container folder Thunder would use ("" when none), and in inspect
// how to look at it on the device once its config could be read.
func (t *target) checkContainer(p pluginRef, fs *findings, inspect *string) string {
	if p.Err != nil {
		file := ""
		if len(t.layout.PluginDirs) > 0 {
			file = t.layout.PluginDirs[0]
		}
		fix := "fix the plugin's config file"
		if errors.Is(p.Err, thunder.ErrPluginNotFound) {
			fix = fmt.Sprintf("check the callsign's spelling, or add %s/%s.json", file, p.Callsign)
		}
		fs.errorf(CheckPlugin, file, fix, "%v", p.Err)
		return ""
	}
	t.checkMode(p, fs)
	loc := t.locate(p.Plugin, fs)
	if loc == "" {
		return ""
	}
	configPath := path.Join(loc, "config")
	cfg, err := readConfig(t.root, configPath, fs)
	if err != nil {
		fs.errorf(CheckLocation, configPath, "make it a readable file", "read the container config: %v", err)
		return loc
	}
	idmap, mapped := cfg.IDMap()
	*inspect = t.inspectCommand(cfg, loc)
	t.checkSeccomp(cfg, fs)
	t.checkEnvironment(cfg, fs)
	t.checkConsoleLog(cfg, fs)
	if mapped {
		t.checkSubIDs(idmap, fs)
		t.checkMessaging(idmap, fs)
	}
	t.checkKernel(cfg, mapped, fs)
	rootfs, rootfsPath := t.openRootfs(cfg, fs)
	if rootfs == nil {
		return loc
	}
	defer rootfs.Close()
	t.checkHostProcess(cfg, rootfs, rootfsPath, fs)
	t.checkSharedFolders(cfg, rootfs, rootfsPath, fs)
	t.checkShares(cfg, idmap, loc, rootfsPath, rootfs, fs)
	t.checkArch(cfg, rootfs, rootfsPath, fs)
	if mapped {
		t.checkOwners(idmap, rootfs, rootfsPath, fs)
		t.checkTraversal(cfg, idmap, rootfsPath, fs)
	}
	return loc
}

// checkMode: a plugin that is not in Container mode runs outside its
// container, whatever the container looks like.
func (t *target) checkMode(p pluginRef, fs *findings) {
	mode, err := thunder.ReadMode(p.Plugin.Data)
	if errors.Is(err, thunder.ErrDuplicateKey) {
		fs.errorf(CheckPlugin, p.Plugin.Path, `remove the duplicate, keeping one "mode": "Container"`, "%v", err)
		return
	}
	if err != nil {
		fs.errorf(CheckPlugin, p.Plugin.Path, `give it a "configuration": {"root": {"mode": "Container"}} object`, "%v", err)
		return
	}
	if mode.Mode != thunder.ModeContainer {
		fs.errorf(CheckMode, p.Plugin.Path,
			`set "configuration.root.mode" to "Container" (thunder-lxc provision does), or remove the plugin's container folder if it is meant to run outside one`,
			"the plugin's mode is %s, so Thunder does not start it in its container", mode.Mode)
	}
}

// containerPlaces are where Thunder looks for a plugin's container, in its
// order (see thunder.Layout.ContainerPlaces).
func (t *target) containerPlaces(p thunder.Plugin) []string {
	return t.layout.ContainerPlaces(p)
}

// locate returns the container folder Thunder takes (the first place with a
// config file: that is what LXC counts as a container), or "" with a
// finding when there is none. A container in a later place is shadowed.
func (t *target) locate(p thunder.Plugin, fs *findings) string {
	places := t.containerPlaces(p)
	var found, withoutConfig []string
	for _, dir := range places {
		if isFile(t.root, path.Join(dir, "config")) {
			found = append(found, dir)
		} else if isDir(t.root, dir) {
			withoutConfig = append(withoutConfig, dir)
		}
	}
	if len(found) == 0 {
		msg := fmt.Sprintf("no container: Thunder looks for %s, %s and %s (a folder with a config file) and finds none, so it reports \"container not found\"",
			places[0], places[1], places[2])
		if len(withoutConfig) > 0 {
			msg += fmt.Sprintf("; %s exists but has no config file", withoutConfig[0])
		}
		fs.errorf(CheckLocation, path.Join(places[2], "config"),
			fmt.Sprintf("provision the plugin: thunder-lxc provision %s --target DIR", p.Callsign), "%s", msg)
		return ""
	}
	for _, shadowed := range found[1:] {
		fs.notef(CheckLocation, path.Join(shadowed, "config"),
			fmt.Sprintf("remove %s if %s is the one meant", found[0], shadowed),
			"Thunder uses %s, which comes first in its search order; this container is never started", found[0])
	}
	return found[0]
}

func isFile(root *os.Root, name string) bool {
	info, err := inroot.Stat(root, name)
	return err == nil && info.Mode().IsRegular()
}

func isDir(root *os.Root, name string) bool {
	info, err := inroot.Stat(root, name)
	return err == nil && info.IsDir()
}
