// Package mountns makes private mount namespaces for programs that must
// see another system's paths, such as LXC reading a device's container
// config on the build host, without changing the build host: see View.
package mountns

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A View describes a private mount namespace in which a program (LXC)
// sees the device's paths while the build host, and the target, stay as
// they are:
//
//   - Show: a target folder appears at its device path through an overlay
//     whose upper layer is in memory, so what is written there is gone
//     when the namespace ends and the target is never written;
//   - Bind: a host folder or file appears at a path as it is (writes reach
//     it), for tests that look at what a container wrote;
//   - BindData: a file of the view's memory, holding given bytes, appears
//     at a path;
//   - Tmpfs: an empty tmpfs, for the device's run-time folders (/tmp) and
//     for host folders LXC writes to (its lock files);
//   - a mount point the host lacks is made in an overlay of its nearest
//     existing folder, so the host's folder is never written either.
//
// The mounts are made in path order, parents first, whatever the order they
// were asked for in. Every source is opened in the new namespace before
// anything is mounted, and mounted through its file descriptor, so a
// mount (a tmpfs on /tmp) cannot hide a later one's source (a target under
// /tmp). The view's own memory (the overlays' upper layers, BindData's
// files) is a tmpfs that Scratch can show at a path. Enter makes the
// namespace.
type View struct {
	mounts     []viewMount
	files      []viewFile
	scratchAt  string
	privateNet bool
}

type mountKind int

const (
	showOverlay mountKind = iota // a folder shown with writes kept in memory
	bindThrough                  // a folder or file bound as it is
	bindData                     // a file of the view's memory bound on a path
	freshTmpfs                   // an empty tmpfs
)

func (k mountKind) String() string {
	return [...]string{"shown (writes kept in memory)", "bound", "a file of the view", "an empty tmpfs"}[k]
}

type viewMount struct {
	kind mountKind
	// root and name are the source: the folder name inside the build-host
	// folder root (opened with os.Root, so name cannot leave it), or for
	// bindThrough the host path root alone.
	root, name string
	data       []byte // bindData
	point      string
	file       bool   // the mount point is a file
	mode       uint32 // freshTmpfs, as chmod takes it
}

type viewFile struct {
	point string
	data  []byte
	dir   bool // a folder, not a file of data
}

// NewView returns an empty view.
func NewView() *View { return &View{} }

// Show shows the folder name of the build-host folder root (a target and
// a path in it, symlinks already resolved the target's way) at point,
// through an overlay: a program sees and may change its content, the folder
// itself is never written.
func (v *View) Show(root, name, point string) {
	v.mounts = append(v.mounts, viewMount{kind: showOverlay, root: root, name: name, point: clean(point)})
}

// Bind shows the host folder or file source at point as it is: what a
// program writes there reaches source.
func (v *View) Bind(source, point string) error {
	info, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("show %s at %s: %w", source, point, err)
	}
	v.mounts = append(v.mounts, viewMount{kind: bindThrough, root: source, point: clean(point), file: !info.IsDir()})
	return nil
}

// BindData shows a file of the view's memory holding data at point (over
// a host file such as /etc/subuid, which stays as it is).
func (v *View) BindData(point string, data []byte) {
	v.mounts = append(v.mounts, viewMount{kind: bindData, data: data, point: clean(point), file: true})
}

// Tmpfs puts an empty tmpfs on point, its mode as chmod takes it (0o1777
// for a /tmp).
func (v *View) Tmpfs(point string, mode uint32) {
	v.mounts = append(v.mounts, viewMount{kind: freshTmpfs, point: clean(point), mode: mode})
}

// WriteFile writes a file at point once the mounts are made; point must be
// in a part of the view that keeps writes in memory (a Show or a Tmpfs).
func (v *View) WriteFile(point string, data []byte) {
	v.files = append(v.files, viewFile{point: clean(point), data: data})
}

// Mkdir makes a folder (and its parents) at point once the mounts are
// made, by the same rule as WriteFile.
func (v *View) Mkdir(point string) {
	v.files = append(v.files, viewFile{point: clean(point), dir: true})
}

// LXCRunDir is where LXC run by root keeps a lock file for every container
// it looks at or starts (lock/<lxcpath>/<name>), never removed: the folder
// a view for LXC gives its own memory (Scratch).
const LXCRunDir = "/run/lxc"

// Scratch shows the view's own tmpfs at point, a folder that then takes
// what programs write there: LXCRunDir is the one to give.
func (v *View) Scratch(point string) {
	v.scratchAt = clean(point)
}

// PrivateNetwork gives the namespace's programs a network namespace of
// their own too, with nothing in it but a loopback device that is down.
// Abstract unix sockets are per network namespace: LXC names its command
// socket after the container's path, so two containers at the same device
// path, each in a view of its own (two runs at once), collide on it unless
// their views have private networks.
func (v *View) PrivateNetwork() {
	v.privateNet = true
}

// Describe lists the view's mounts, one line each, in the order they are
// made (the view's memory last): what a report says the program saw.
func (v *View) Describe() []string {
	var lines []string
	for _, m := range v.ordered() {
		switch m.kind {
		case showOverlay:
			lines = append(lines, fmt.Sprintf("%s: %s %s", m.point, filepath.Join(m.root, m.name), m.kind))
		case bindThrough:
			lines = append(lines, fmt.Sprintf("%s: %s %s", m.point, m.root, m.kind))
		default:
			lines = append(lines, fmt.Sprintf("%s: %s", m.point, m.kind))
		}
	}
	if v.scratchAt != "" {
		lines = append(lines, v.scratchAt+": the view's memory")
	}
	if v.privateNet {
		lines = append(lines, "network: a namespace of the view's own")
	}
	return lines
}

// ordered returns the mounts parents first: sorted by path, which puts a
// folder before what is inside it; mounts of one path keep their order.
func (v *View) ordered() []viewMount {
	out := slices.Clone(v.mounts)
	slices.SortStableFunc(out, func(a, b viewMount) int { return strings.Compare(a.point, b.point) })
	return out
}

func clean(p string) string {
	return filepath.Clean("/" + p)
}
