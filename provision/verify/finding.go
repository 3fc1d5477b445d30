package verify

import "fmt"

// Finding severities: an error stops the container from starting; a note
// is worth knowing but does not.
const (
	SeverityError = "error"
	SeverityNote  = "note"
)

// Check names, stable in the JSON report so scripts can branch on them.
const (
	CheckPlugin            = "plugin"             // the plugin's JSON config
	CheckMode              = "mode"               // configuration.root.mode is not Container
	CheckLocation          = "location"           // where Thunder finds the container
	CheckSyntax            = "syntax"             // a config line LXC cannot read
	CheckKey               = "key"                // unknown or legacy config key
	CheckInclude           = "include"            // lxc.include of a missing file
	CheckRootfs            = "rootfs"             // lxc.rootfs.path
	CheckSeccomp           = "seccomp"            // lxc.seccomp.* against liblxc and kernel
	CheckLibLXC            = "liblxc"             // the target's liblxc
	CheckHostProcess       = "host-process"       // ThunderPlugin / WPEProcess on the container's PATH
	CheckVolatileMount     = "volatile-mount"     // Thunder's volatile path (/tmp) bind-mounted at its own path
	CheckCommunicatorMount = "communicator-mount" // the communicator socket's folder, when elsewhere, too
	CheckArch              = "arch"               // lxc.arch against the rootfs's ELF class
	CheckOwner             = "owner"              // rootfs owners against lxc.idmap
	CheckEnvironment       = "environment"        // lxc.environment entries
	CheckSubID             = "subid"              // /etc/subuid and /etc/subgid grants
	CheckKernel            = "kernel"             // kernel options the config needs
	CheckShare             = "share"              // a bind mount (shared folder) other than the volatile path's
	CheckMount             = "mount"              // a mount entry's mount point in the rootfs
	CheckTraversal         = "traversal"          // a folder on the way to the rootfs or a bind source that container root cannot enter
	CheckMessaging         = "messaging"          // the hosting process cannot leave its messages in Thunder's messaging folder
	CheckConsoleLog        = "console-log"        // the folder of lxc.console.logfile
)

// Finding is one reason, on one line, naming the file and the fix.
type Finding struct {
	Severity string `json:"severity"`
	Check    string `json:"check"`
	// File is the device path of the file at fault (a build-host path for
	// the kernel config, which is not in the target).
	File    string `json:"file"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s: %s; fix: %s", f.Severity, f.Check, f.File, f.Message, f.Fix)
}

// findings collects a container's findings.
type findings []Finding

func (fs *findings) errorf(check, file, fix, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: SeverityError, Check: check, File: file, Message: fmt.Sprintf(format, args...), Fix: fix})
}

func (fs *findings) notef(check, file, fix, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: SeverityNote, Check: check, File: file, Message: fmt.Sprintf(format, args...), Fix: fix})
}
