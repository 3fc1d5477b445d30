// Package provision is the library the commands call: a Request becomes a
// Plan (pure reading, what --dry-run prints), Apply carries the plan out
// atomically, and a Report says what changed.
package provision

import (
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// Request is what the user asked for.
type Request struct {
	// Callsigns of the plugins to containerize.
	Callsigns []string
	// Target is the build-host folder holding the device's root filesystem.
	Target string
	// Source is a tarball or a folder; empty means the target itself.
	Source string
	// Layout is auto, thunder or wpeframework.
	Layout string
	// Arch is the lxc.arch value, or auto to read it from the rootfs's ELF files.
	Arch string
	// Hostname is lxc.uts.name; empty means the callsign.
	Hostname string
	// Env are extra lxc.environment entries, NAME or NAME=VALUE.
	Env []string
	// Net is empty, none or veth:BRIDGE.
	Net string
	// ConsoleLog, when set, is a device file where LXC writes what the
	// container's processes write on its console (lxc.console.logfile):
	// the plugin's output when Thunder runs with -f, which no message
	// buffer then holds.
	ConsoleLog string
	// NoIDMap leaves the idmap out: a privileged container.
	NoIDMap bool
	// IDMapBase and IDMapSize give the host range container IDs map to.
	IDMapBase, IDMapSize int
	// KeepUIDs and KeepGIDs are container IDs that map to the same host ID
	// (--keep-id sets both, --keep-uid and --keep-gid one side).
	KeepUIDs, KeepGIDs []int
	// NoShiftIDs keeps the rootfs owned by the source's IDs even with an
	// idmap (the guide's way: container root then sees its files as nobody).
	NoShiftIDs bool
	// Shares are HOST:CONTAINER[:ro|rw] folders shared with the container.
	Shares []string
	// ShareMode is the octal mode of share folders the tool creates.
	ShareMode string
	// Template is a custom config template file on the build host; empty
	// means the embedded default.
	Template string
	// Seccomp is comment, keep or auto.
	Seccomp string
	// KernelConfig is the device kernel's .config, for --seccomp auto.
	KernelConfig string
	// Force replaces existing containers.
	Force bool
	// DryRun plans and reports without writing.
	DryRun bool
	// Progress, when set, is told how far copying each container's rootfs
	// has come.
	Progress func(Progress)
	// Stdin is read for a Source of "-" (nil: the process's).
	Stdin io.Reader
	// stream is a stream source already read into a spool (apply reads
	// it once for all its containers).
	stream *spooledStream
}

// The guide's environment: Thunder starts a bare program name inside the
// container, so PATH must come along; the message dispatcher finds its
// config through MESSAGE_DISPATCHER_CONFIG.
var defaultEnv = []string{"PATH", "MESSAGE_DISPATCHER_CONFIG"}

// SetDefaults fills what the user left empty.
func (r *Request) SetDefaults() {
	if r.Layout == "" {
		r.Layout = "auto"
	}
	if r.Arch == "" {
		r.Arch = "auto"
	}
	if r.Seccomp == "" {
		r.Seccomp = lxc.SeccompComment
	}
	if r.Net == "" {
		r.Net = "empty"
	}
	if r.IDMapBase == 0 {
		r.IDMapBase = lxc.DefaultIDMapBase
	}
	if r.IDMapSize == 0 {
		r.IDMapSize = lxc.DefaultIDMapSize
	}
	if r.ShareMode == "" {
		r.ShareMode = "7770"
	}
}

var (
	callsignPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(=.*)?$`)
	hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// Validate reports every problem of the request at once, each a
// *FieldError naming the field it comes from (a callsign problem names the
// callsign), in one list.
func (r *Request) Validate() error {
	var ps problems
	bad := func(field string, value any, format string, args ...any) {
		ps.add(fieldErrorf(field, value, format, args...))
	}
	checkCallsigns(&ps, r.Callsigns)
	if r.Target == "" {
		bad("target", nil, "give the folder holding the device's root filesystem")
	}
	if r.Layout != "auto" && !slices.Contains(thunder.LayoutNames(), r.Layout) {
		bad("layout", r.Layout, "use auto or one of %s", strings.Join(thunder.LayoutNames(), ", "))
	}
	if r.Hostname != "" {
		if len(r.Callsigns) > 1 {
			bad("hostname", r.Hostname, "only with one callsign (each container is named after its callsign otherwise)")
		}
		if !hostnamePattern.MatchString(r.Hostname) {
			bad("hostname", r.Hostname, "not a valid host name")
		}
	}
	for _, e := range r.Env {
		if !envPattern.MatchString(e) || strings.ContainsAny(e, "\n") {
			bad("env", e, "use NAME or NAME=VALUE on one line")
		}
	}
	if r.ConsoleLog != "" {
		switch {
		case !path.IsAbs(r.ConsoleLog) || strings.ContainsAny(r.ConsoleLog, "\n") || strings.HasSuffix(r.ConsoleLog, "/"):
			bad("console-log", r.ConsoleLog, "give the absolute device path of a file, such as /var/log/%s.console", r.Callsigns[0])
		case len(r.Callsigns) > 1:
			bad("console-log", r.ConsoleLog, "only with one callsign (each container needs a file of its own)")
		}
	}
	if _, err := lxc.NetworkLines(r.Net); err != nil {
		ps.add(&FieldError{Field: "net", Value: r.Net, Err: err})
	}
	if !slices.Contains(lxc.SeccompModes, r.Seccomp) {
		bad("seccomp", r.Seccomp, "use %s", strings.Join(lxc.SeccompModes, ", "))
	}
	if r.KernelConfig != "" && r.Seccomp != lxc.SeccompAuto {
		bad("kernel-config", r.KernelConfig, "read only when seccomp is %s, which decides by it", lxc.SeccompAuto)
	}
	if _, known := lxc.ArchPersonality(r.Arch); r.Arch != "auto" && !known {
		bad("arch", r.Arch, "not a name liblxc knows: use auto or one of %s", strings.Join(lxc.ArchNames(), ", "))
	}
	if !r.NoIDMap {
		for _, err := range idmapFieldErrors(r.idmapRequest().Validate()) {
			ps.add(err)
		}
	} else if len(r.KeepUIDs)+len(r.KeepGIDs) > 0 {
		bad("no-idmap", nil, "leaves out the ID map that kept IDs need: drop it, or the kept IDs")
	}
	if _, err := parseShareMode(r.ShareMode); err != nil {
		ps.add(err)
	}
	for _, s := range r.Shares {
		if _, err := parseShare(s); err != nil {
			ps.add(err)
		}
	}
	return ps.err()
}

// checkCallsigns adds a problem for each callsign that is malformed or
// given twice, and one when there is none.
func checkCallsigns(ps *problems, callsigns []string) {
	if len(callsigns) == 0 {
		ps.add(errors.New("name at least one plugin callsign"))
	}
	seen := map[string]bool{}
	for _, cs := range callsigns {
		if !callsignPattern.MatchString(cs) || cs == "." || cs == ".." {
			ps.add(fmt.Errorf("callsign %q: use letters, digits, '_', '-' and '.'", cs))
		}
		if seen[cs] {
			ps.add(fmt.Errorf("callsign %q given twice", cs))
		}
		seen[cs] = true
	}
}

// devicePath joins device path parts.
func devicePath(parts ...string) string { return path.Clean("/" + path.Join(parts...)) }
