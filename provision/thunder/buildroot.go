package thunder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// BuildrootFinding is the verdict on one Buildroot option, with the
// menuconfig entry that turns it on.
type BuildrootFinding struct {
	Name     string `json:"name"`
	Present  bool   `json:"present"`
	Required bool   `json:"required"`
	Why      string `json:"why"`
	Menu     string `json:"menu"`
}

// BuildrootReport is the result of `check buildroot`, and its --json shape.
type BuildrootReport struct {
	// Config is the Buildroot .config that was read.
	Config string `json:"config"`
	// OK is false when a required option is missing here or in the kernel.
	OK bool `json:"ok"`
	// Family is "Thunder" (R5 and later, BR2_PACKAGE_THUNDER),
	// "WPEFramework" (R4, BR2_PACKAGE_WPEFRAMEWORK) or "" (neither).
	Family string `json:"family"`
	// Seccomp is what the lxc.seccomp.profile line of common.conf must be
	// with this liblxc: "comment" (no libseccomp) or "keep" (it may stay).
	Seccomp string             `json:"seccomp"`
	Options []BuildrootFinding `json:"options"`
	// Kernel is the kernel check of the kernel this tree builds, when its
	// configuration could be found.
	Kernel *lxc.KernelReport `json:"kernel,omitempty"`
	// Notes say why the kernel check did not run, or what limits it.
	Notes []string `json:"notes,omitempty"`
}

// CheckBuildroot checks a Buildroot .config (path; "" means ./.config, a
// folder means its .config) for what a Thunder plugin in an LXC container
// needs, and runs the kernel check on the kernel configuration the tree
// uses when it can find one.
func CheckBuildroot(path string) (BuildrootReport, error) {
	if path == "" {
		path = ".config"
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, ".config")
	}
	cfg, err := readBuildrootConfig(path)
	if err != nil {
		return BuildrootReport{}, err
	}
	report := BuildrootReport{Config: path, Seccomp: lxc.SeccompComment}
	if cfg.Enabled("BR2_PACKAGE_LIBSECCOMP") {
		report.Seccomp = lxc.SeccompKeep
	}
	fams := familiesOf(cfg)
	if len(fams) > 0 {
		report.Family = fams[0].name
	}
	report.Options = buildrootFindings(cfg, fams)

	kcfg, notes := buildrootKernelConfig(cfg, path)
	report.Notes = notes
	if kcfg != nil {
		needs := lxc.DefaultKernelNeeds()
		// With libseccomp, seccomp mode auto keeps the profile line, so the
		// kernel must be able to load it.
		needs.Seccomp = report.Seccomp == lxc.SeccompKeep
		k := lxc.NewKernelReport(*kcfg, needs)
		report.Kernel = &k
	}

	report.OK = report.Kernel == nil || report.Kernel.OK
	for _, f := range report.Options {
		if f.Required && !f.Present {
			report.OK = false
		}
	}
	return report, nil
}

// ErrNotBuildrootConfig means a Kconfig file is not Buildroot's (a kernel
// config, most likely).
var ErrNotBuildrootConfig = errors.New("it is not a Buildroot .config")

// readBuildrootConfig parses a Buildroot .config (Kconfig, like a kernel's)
// and makes sure it is one.
func readBuildrootConfig(path string) (lxc.KernelConfig, error) {
	cfg, err := lxc.ReadKconfig("buildroot config", path)
	if err != nil {
		return lxc.KernelConfig{}, err
	}
	if !cfg.Mentions("BR2_HAVE_DOT_CONFIG") && !cfg.Mentions("BR2_ARCH") {
		return lxc.KernelConfig{}, fmt.Errorf("buildroot config %q has no BR2_ options: %w", path, ErrNotBuildrootConfig)
	}
	return cfg, nil
}
