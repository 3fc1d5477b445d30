package provision

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// seccompDecision tells whether the target's common.conf gets its
// lxc.seccomp.profile line commented out, and why.
func (p *Plan) seccompDecision() (comment bool, why string, err error) {
	switch p.Request.Seccomp {
	case lxc.SeccompKeep:
		return false, "", nil
	case lxc.SeccompComment:
		return true, "lxc.seccomp.profile commented out (seccomp comment, the guide's way)", nil
	}
	if p.Request.KernelConfig != "" {
		cfg, err := lxc.ReadKernelConfig(p.Request.KernelConfig)
		if err != nil {
			return false, "", &FieldError{Field: "kernel-config", Value: p.Request.KernelConfig, Err: err}
		}
		if !cfg.Enabled("CONFIG_SECCOMP_FILTER") {
			return true, fmt.Sprintf("lxc.seccomp.profile commented out: the kernel config %s lacks CONFIG_SECCOMP_FILTER, so LXC could not load the profile (seccomp auto)", p.Request.KernelConfig), nil
		}
	}
	lib, found, err := lxc.FindLibLXC(p.target)
	if err != nil {
		return false, "", &FieldError{Field: "seccomp", Value: lxc.SeccompAuto, Err: err}
	}
	if !found {
		return true, "lxc.seccomp.profile commented out: the target has no liblxc to tell whether it can parse the line (seccomp auto)", nil
	}
	if !lib.Seccomp {
		return true, fmt.Sprintf("lxc.seccomp.profile commented out: the target's %s is built without libseccomp and would refuse the container (seccomp auto)", lib.Path), nil
	}
	return false, fmt.Sprintf("lxc.seccomp.profile kept: the target's %s is linked with libseccomp (seccomp auto)", lib.Path), nil
}

// detectArchInFolder reads lxc.arch from the ELF files of a rootfs folder
// (arch auto). Without one the request must name it.
func detectArchInFolder(dir string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	return detectArch(root)
}

// detectArch reads lxc.arch from the ELF files of a rootfs.
func detectArch(root inroot.FS) (string, error) {
	info, err := lxc.DetectArch(root)
	if err != nil {
		return "", fieldErrorf("arch", "auto", "%w: set it to %s or %s", err, lxc.PersonalityLinux32, lxc.PersonalityLinux64)
	}
	return info.LXCArch, nil
}

// renamed is a root filesystem that messages call by another name: a
// rootfs unpacked into a staging folder is the tarball it came from.
type renamed struct {
	root inroot.FS
	name string
}

func (r renamed) Name() string                           { return r.name }
func (r renamed) Lstat(name string) (fs.FileInfo, error) { return r.root.Lstat(name) }
func (r renamed) Readlink(name string) (string, error)   { return r.root.Readlink(name) }
func (r renamed) ReadFile(name string) ([]byte, error)   { return r.root.ReadFile(name) }
func (r renamed) FS() fs.FS                              { return r.root.FS() }
