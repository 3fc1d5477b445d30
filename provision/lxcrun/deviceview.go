package lxcrun

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// kernelFolders are device folders the kernel fills at run time: a bind
// source there is the build host's.
var kernelFolders = []string{"/proc", "/sys", "/dev"}

// runtimeFolderMode is the mode of a fresh run-time folder, /tmp's.
const runtimeFolderMode = 0o1777

// deviceView is the view in which LXC finds the container the way the
// device's LXC would, with what the run needs to know about it.
type deviceView struct {
	*mountns.View
	// markers are files written in the run-time folders (volatile path,
	// communicator folder) by device path: the smoke test looks for each
	// inside the container to tell that the folder is mounted there.
	markers map[string]string
	// notes say where the view differs from the device, for the report.
	notes []string
}

// deviceView makes the view for the container:
//
//   - the target's container folder, rootfs, the folders of the config's
//     included files and fstab files, and every bind source the target
//     has, shown at their device paths (writes kept in memory);
//   - the volatile path and the communicator's folder as fresh tmpfs, as
//     Thunder has them at run time, each with a marker file;
//   - a bind source the target lacks under one of them made as an empty
//     folder there (a service would make it on the device);
//   - LXC's run folder in the view's memory, and root's sub-ID grants the
//     config's ID map needs.
//
// Bind sources in /proc, /sys and /dev, and those the target lacks but
// the build host has, are the build host's (said in notes); a source
// neither has stays missing, and LXC fails as it would on the device.
func (c *container) deviceView() (*deviceView, error) {
	dv := &deviceView{View: mountns.NewView(), markers: map[string]string{}}
	runtime := c.runtimeFolders()
	for _, dir := range runtime {
		dv.Tmpfs(dir, runtimeFolderMode)
		marker := path.Join(dir, ".thunder-lxc-run-"+strings.ToLower(rand.Text()[:8]))
		dv.WriteFile(marker, nil)
		dv.markers[dir] = marker
	}
	var shown []string
	show := func(p string) error {
		if slices.ContainsFunc(shown, func(s string) bool { return under(p, s) }) {
			return nil
		}
		if err := dv.show(c.target, p); err != nil {
			return err
		}
		shown = append(shown, p)
		return nil
	}
	for _, p := range []string{c.dir, c.rootfsPath} {
		if err := show(p); err != nil {
			return nil, err
		}
	}
	for _, dir := range c.configFolders() {
		err := show(dir)
		if errors.Is(err, fs.ErrNotExist) {
			// Missing in the target: LXC must miss it too, not read the
			// build host's.
			dv.Tmpfs(dir, 0o755)
			dv.notes = append(dv.notes, fmt.Sprintf("%s: not in the target, so LXC sees it empty", dir))
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	for _, src := range c.bindSources() {
		switch {
		case slices.ContainsFunc(kernelFolders, func(k string) bool { return under(src, k) }):
			continue
		case slices.ContainsFunc(runtime, func(r string) bool { return under(src, r) }):
			if !slices.Contains(runtime, src) {
				dv.Mkdir(src)
				dv.notes = append(dv.notes, fmt.Sprintf("%s: made empty in a run-time folder, as a service on the device would", src))
			}
			continue
		}
		err := show(src)
		if !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				return nil, err
			}
			continue
		}
		if _, herr := os.Stat(src); herr == nil {
			dv.notes = append(dv.notes, fmt.Sprintf("%s: not in the target; LXC binds the build host's", src))
		} else {
			dv.notes = append(dv.notes, fmt.Sprintf("%s: not in the target, nor on the build host: LXC fails to bind it unless the entry is optional, as on the device", src))
		}
	}
	dv.Scratch(mountns.LXCRunDir)
	if c.ownNetwork() {
		// Changes nothing for the container, and keeps LXC's command
		// socket apart from another run's of the same device path.
		dv.PrivateNetwork()
	}
	if idmap, mapped := c.config.IDMap(); mapped {
		uid, gid := idmap.HostRanges()
		notes, err := ShowGrants(dv.View, uid, gid)
		if err != nil {
			return nil, err
		}
		dv.notes = append(dv.notes, notes...)
	}
	return dv, nil
}

// show shows the target's device path p: a folder through an overlay, a
// file as a copy in the view's memory. A p the target lacks is an error
// wrapping fs.ErrNotExist.
func (dv *deviceView) show(target *os.Root, p string) error {
	resolved, err := inroot.Resolve(target, p, true)
	if err != nil {
		return fmt.Errorf("%s: %w", inroot.Describe(target, p), err)
	}
	info, err := target.Stat(resolved)
	if err != nil {
		return fmt.Errorf("show %s: %w", inroot.Describe(target, p), err)
	}
	if info.IsDir() {
		dv.Show(target.Name(), resolved, p)
		return nil
	}
	f, err := target.Open(resolved)
	if err != nil {
		return fmt.Errorf("show %s: %w", inroot.Describe(target, p), err)
	}
	defer f.Close()
	// A file is small (a config, a device's settings): a copy in memory
	// keeps the target's from being written.
	data, err := io.ReadAll(io.LimitReader(f, maxShownFile+1))
	if err != nil {
		return err
	}
	if len(data) > maxShownFile {
		return fmt.Errorf("%s is bind-mounted as a file of over %d bytes: run shows only folders and small files", inroot.Describe(target, p), maxShownFile)
	}
	dv.BindData(p, data)
	return nil
}

// maxShownFile bounds a bind-mounted file that the view copies into memory.
const maxShownFile = 1 << 20

// runtimeFolders are the device folders Thunder has at run time and the
// container binds (thunder.Processes.SharedFolders): the volatile path,
// and the communicator socket's folder when it is not inside it.
func (c *container) runtimeFolders() []string {
	return c.processes.SharedFolders()
}

// configFolders are the folders of the files LXC reads with the config:
// an included folder itself, the folder of an included or fstab file.
func (c *container) configFolders() []string {
	var dirs []string
	for _, l := range c.config.Lines {
		if (l.Key != "lxc.include" && l.Key != "lxc.mount.fstab") || !path.IsAbs(l.Value) {
			continue
		}
		// A folder is included as a folder (named with or without a
		// trailing '/'); a file with the rest of its folder.
		dir := path.Dir(path.Clean(l.Value))
		if info, err := inroot.Stat(c.target, l.Value); (err == nil && info.IsDir()) || strings.HasSuffix(l.Value, "/") {
			dir = path.Clean(l.Value)
		}
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// bindSources are the absolute sources of the config's bind mounts,
// sorted so that a folder comes before what is inside it.
func (c *container) bindSources() []string {
	var srcs []string
	for _, e := range c.config.MountEntries(c.target) {
		if src := path.Clean(e.Source); e.IsBind() && path.IsAbs(src) && !slices.Contains(srcs, src) {
			srcs = append(srcs, src)
		}
	}
	slices.Sort(srcs)
	return srcs
}

// ownNetwork tells whether the container has a network namespace of its
// own with nothing from outside: every lxc.net.N.type is empty.
func (c *container) ownNetwork() bool {
	types := 0
	for _, l := range c.config.Lines {
		if netType.MatchString(l.Key) {
			if l.Value != "empty" {
				return false
			}
			types++
		}
	}
	return types > 0
}

var netType = regexp.MustCompile(`^lxc\.net\.[0-9]+\.type$`)

// under tells whether the absolute path p is dir or below it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
