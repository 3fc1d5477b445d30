package verify

import (
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkKernel checks the kernel configuration, when given, against what
// this config asks for: a user namespace for lxc.idmap, veth and bridge for
// lxc.net.0.type = veth, seccomp filters for an active seccomp profile.
func (t *target) checkKernel(cfg *lxc.Config, mapped bool, fs *findings) {
	if t.kernel == nil {
		return
	}
	needs := lxc.KernelNeeds{IDMap: mapped, Network: "empty", Seccomp: seccompActive(cfg)}
	if l, ok := cfg.Last("lxc.net.0.type"); ok && l.Value != "" {
		needs.Network = l.Value
	}
	for _, f := range lxc.MissingRequired(lxc.CheckKernel(*t.kernel, needs)) {
		fs.errorf(CheckKernel, t.kernel.Source, "enable "+f.Name+" in the kernel configuration and rebuild the kernel",
			"%s is not set: %s", f.Name, f.Why)
	}
}
