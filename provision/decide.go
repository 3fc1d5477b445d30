package provision

import (
	"fmt"
	"os"

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
	lib, found, err := lxc.FindLibLXC(p.root)
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
	info, err := lxc.DetectArch(root)
	if err != nil {
		return "", fieldErrorf("arch", "auto", "%w: set it to %s or %s", err, lxc.PersonalityLinux32, lxc.PersonalityLinux64)
	}
	return info.LXCArch, nil
}
