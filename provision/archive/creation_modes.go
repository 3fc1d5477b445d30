package archive

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// creationModes knows when a file this extraction creates already has the
// permission bits its entry asks for, so that the fchmod after it would
// change nothing: a rootfs is mostly 0644 and 0755 files, and that is one
// syscall per file (GNU tar makes it too; leaving it out is what puts
// unpacking a plain tarball ahead of GNU tar, docs/performance.md).
//
// open(O_CREAT, perm) gives perm less the umask — unless the folder has a
// default ACL, which then decides. Folders made here inherit the
// destination's default ACL, and folders' own metadata (an ACL from the
// archive included) is applied only when every member is in place; so the
// bits are exact when the destination starts empty, has no default ACL,
// and the umask is known. Anything else, and every file gets its fchmod.
type creationModes struct {
	known bool
	umask uint32
}

// readCreationModes looks at the destination once.
func readCreationModes(root *os.Root) creationModes {
	umask, ok := processUmask()
	if !ok {
		return creationModes{}
	}
	dest, err := root.Open(".")
	if err != nil {
		return creationModes{}
	}
	defer dest.Close()
	if _, err := dest.Readdirnames(1); err != io.EOF {
		return creationModes{} // not empty (or unreadable): its folders may carry ACLs
	}
	_, err = unix.Fgetxattr(int(dest.Fd()), "system.posix_acl_default", nil)
	if !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP) {
		return creationModes{} // a default ACL, or no way to tell
	}
	return creationModes{known: true, umask: umask}
}

// exact tells whether a file created with mode's permission bits has mode
// itself: no setuid, setgid or sticky bit (open does not set them), no bit
// the umask takes away.
func (c creationModes) exact(mode uint32) bool {
	return c.known && mode&^0o777 == 0 && mode&c.umask == 0
}

// processUmask reads the umask from /proc (Linux 4.7 and later) rather than
// setting it to read it, which would change it for a moment for every
// thread of the process.
func processUmask() (uint32, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if value, ok := strings.CutPrefix(lines.Text(), "Umask:"); ok {
			umask, err := strconv.ParseUint(strings.TrimSpace(value), 8, 32)
			return uint32(umask), err == nil
		}
	}
	return 0, false
}
