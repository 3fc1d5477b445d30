package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// Share is a host folder of the device shared with the container.
type Share struct {
	// Host is the device path of the folder ("/var/log/TestLogging").
	Host string `json:"host"`
	// Container is the mount point relative to the container's rootfs, as
	// lxc.mount.entry expects ("TestLogging").
	Container string `json:"container"`
	ReadOnly  bool   `json:"readOnly"`
	// Create tells whether the tool creates the host folder; an existing
	// folder keeps its owner and mode.
	Create bool `json:"create"`
	// Owner and Mode are the host folder's (to be created, or found).
	Owner lxc.Owner `json:"owner"`
	Mode  string    `json:"mode"`
	// Access explains who in the container can use the folder, and a unix
	// socket in it at mode 0775 and at 0777 (the guide's domain-socket case).
	Access     lxc.AccessReport `json:"access"`
	Socket0775 lxc.AccessReport `json:"socket0775"`
	Socket0777 lxc.AccessReport `json:"socket0777"`
	mode       fs.FileMode
}

// MountEntry is the lxc.mount.entry value of the share.
func (s Share) MountEntry() string {
	opt := "rw"
	if s.ReadOnly {
		opt = "ro"
	}
	return fmt.Sprintf("%s %s none bind,%s 0 0", s.Host, s.Container, opt)
}

// parseShare reads HOST:CONTAINER[:ro|rw].
func parseShare(spec string) (Share, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Share{}, fieldErrorf("share", spec, "use HOST:CONTAINER[:ro|rw], for example /var/log/TestLogging:TestLogging")
	}
	s := Share{}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			s.ReadOnly = true
		case "rw":
		default:
			return Share{}, fieldErrorf("share", spec, "the third part is ro or rw")
		}
	}
	host, cont := parts[0], parts[1]
	if !strings.HasPrefix(host, "/") {
		return Share{}, fieldErrorf("share", spec, "the host folder must be an absolute device path such as /var/log/TestLogging")
	}
	for _, p := range []string{host, cont} {
		for _, part := range strings.Split(p, "/") {
			if part == ".." {
				return Share{}, fieldErrorf("share", spec, "%q climbs with \"..\": give the folder's real path", p)
			}
		}
		if strings.ContainsAny(p, " \t\n\\") {
			return Share{}, fieldErrorf("share", spec, "%q has a blank or backslash, which lxc.mount.entry cannot hold", p)
		}
	}
	s.Host = path.Clean(host)
	s.Container = strings.TrimPrefix(path.Clean("/"+cont), "/")
	if s.Host == "/" || s.Container == "" {
		return Share{}, fieldErrorf("share", spec, "share a folder, not the whole root")
	}
	return s, nil
}

// parseShareMode reads an octal mode such as 7770.
func parseShareMode(mode string) (fs.FileMode, error) {
	v, err := strconv.ParseUint(mode, 8, 32)
	if err != nil || v > 0o7777 {
		return 0, fieldErrorf("share-mode", mode, "give an octal mode such as 7770")
	}
	return fileMode(uint32(v)), nil
}

// planShares works out each share: refused inside a container folder,
// created with an owner the container can use when missing, explained.
func (p *Plan) planShares(m lxc.IDMap, mapped bool) error {
	mode, _ := parseShareMode(p.Request.ShareMode)
	owner := p.shareOwner(m, mapped)
	for _, spec := range p.Request.Shares {
		s, _ := parseShare(spec)
		for _, c := range p.Containers {
			if s.Host == c.Dir || strings.HasPrefix(s.Host, c.Dir+"/") {
				return fieldErrorf("share", spec, "the host folder is inside the container folder %s: share a folder outside it", c.Dir)
			}
		}
		info, err := inroot.Stat(p.target, s.Host)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.Create, s.Owner, s.mode = true, owner, mode
		case err != nil:
			return fieldErrorf("share", spec, "%w", err)
		case !info.IsDir():
			return fieldErrorf("share", spec, "%s is not a folder", inroot.Describe(p.target, s.Host))
		default:
			if s.Owner, s.mode, err = p.ownerMode(s.Host, info); err != nil {
				return fieldErrorf("share", spec, "%w", err)
			}
		}
		s.Mode = octal(s.mode)
		s.Access = lxc.ExplainAccess(m, s.Owner, s.mode|fs.ModeDir, false)
		s.Socket0775 = lxc.ExplainAccess(m, s.Owner, 0o775|fs.ModeSocket, true)
		s.Socket0777 = lxc.ExplainAccess(m, s.Owner, 0o777|fs.ModeSocket, true)
		p.Shares = append(p.Shares, &s)
	}
	return nil
}

// shareOwner is the host owner of a share folder the tool creates: the
// first kept (pass-through) IDs when there are any — the users meant to
// share files with the device — else the host IDs of the container's root.
func (p *Plan) shareOwner(m lxc.IDMap, mapped bool) lxc.Owner {
	if !mapped {
		return lxc.Owner{}
	}
	o := lxc.Owner{}
	o.UID, _ = m.HostUID(0)
	o.GID, _ = m.HostGID(0)
	if len(p.Request.KeepUIDs) > 0 {
		o.UID = p.Request.KeepUIDs[0]
	}
	if len(p.Request.KeepGIDs) > 0 {
		o.GID = p.Request.KeepGIDs[0]
	}
	return o
}

// createShareHost makes the host folder of a share in the target (and any
// missing parents, 0755 root), recording the topmost folder it made.
func (p *Plan) createShareHost(tx *transaction, s *Share) error {
	resolved, err := inroot.Resolve(p.root, s.Host, true)
	if err != nil {
		return fmt.Errorf("share folder %s: %w", inroot.Describe(p.root, s.Host), err)
	}
	parts, err := missingParts(p.root, resolved)
	if err != nil || len(parts) == 0 {
		return fmt.Errorf("share folder %s: cannot tell what to create (%v)", inroot.Describe(p.root, s.Host), err)
	}
	tx.shares = append(tx.shares, shareMade{top: parts[0], folder: resolved})
	if err := tx.w.Mkdirs(parts, 0o755); err != nil {
		return fmt.Errorf("create share folder %s: %w", inroot.Describe(p.root, s.Host), err)
	}
	if err := tx.w.SetOwnerMode(resolved, fileOwner{s.Owner.UID, s.Owner.GID}, s.mode); err != nil {
		return fmt.Errorf("own share folder %s: %w", inroot.Describe(p.root, s.Host), err)
	}
	return nil
}

// createMountPoint makes the share's mount point inside the container's
// rootfs (resolved in the rootfs, whose symlinks are the container's).
// rootfs is the rootfs's local path in the target, rootfsRoot the same
// folder opened as a root of its own.
func createMountPoint(rootfsRoot *os.Root, w targetWriter, rootfs string, s *Share) error {
	resolved, err := inroot.Resolve(rootfsRoot, s.Container, true)
	if err != nil {
		return fmt.Errorf("share mount point /%s in the container: %w", s.Container, err)
	}
	parts, err := missingParts(rootfsRoot, resolved)
	if err != nil {
		return fmt.Errorf("share mount point /%s in the container: %w", s.Container, err)
	}
	for i := range parts {
		parts[i] = path.Join(rootfs, parts[i])
	}
	if err := w.Mkdirs(parts, 0o755); err != nil {
		return fmt.Errorf("create share mount point /%s in the container: %w", s.Container, err)
	}
	if info, err := rootfsRoot.Stat(resolved); err != nil || !info.IsDir() {
		return fmt.Errorf("share mount point /%s in the container is not a folder", s.Container)
	}
	return nil
}

func octal(m fs.FileMode) string { return fmt.Sprintf("%04o", modeBits(m)) }
