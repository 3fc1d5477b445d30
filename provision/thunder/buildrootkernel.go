package thunder

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// buildrootKernelConfig reads the kernel configuration a Buildroot tree
// uses. It prefers the configured kernel build folder
// (<output>/build/linux-*/.config): that is the final configuration, with
// any fragments merged. Otherwise it takes BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE,
// relative to the Buildroot top folder. It returns nil and notes saying why
// when there is nothing trustworthy to check.
func buildrootKernelConfig(cfg lxc.KernelConfig, brConfig string) (*lxc.KernelConfig, []string) {
	if !cfg.Enabled("BR2_LINUX_KERNEL") {
		return nil, []string{"kernel check not run: this tree does not build the kernel (BR2_LINUX_KERNEL is off); check the device's kernel configuration on its own"}
	}
	dir, err := filepath.Abs(filepath.Dir(brConfig))
	if err != nil {
		return nil, []string{fmt.Sprintf("kernel check not run: %v", err)}
	}
	var notes []string

	// lxc.FindKernelConfig skips dir/.config (Buildroot's, no CONFIG_
	// options) and looks in build/ (O= output folder) and output/build/.
	found, err := lxc.FindKernelConfig(dir)
	if err == nil {
		kcfg, err := lxc.ReadKernelConfig(found)
		if err != nil {
			return nil, []string{fmt.Sprintf("kernel check not run: %v", err)}
		}
		return &kcfg, []string{fmt.Sprintf("kernel config taken from the kernel build folder %s (the final configuration, fragments merged)", found)}
	}
	if !errors.Is(err, lxc.ErrNoKernelConfig) {
		notes = append(notes, fmt.Sprintf("kernel build folder not used: %v", err))
	}

	custom, _ := cfg.Value("BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE")
	if !cfg.Enabled("BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG") || custom == "" {
		defconfig, _ := cfg.Value("BR2_LINUX_KERNEL_DEFCONFIG")
		return nil, append(notes, fmt.Sprintf("kernel check not run: the kernel configuration comes from an in-tree defconfig (%q) and the kernel is not configured yet; run make linux-configure and check again, or use a custom config file (%s)",
			defconfig, menuKernelConfig))
	}
	path, err := resolveBuildrootPath(custom, dir)
	if err != nil {
		return nil, append(notes, fmt.Sprintf("kernel check not run: BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE %q: %v", custom, err))
	}
	// A defconfig-style custom config is refused here as everywhere
	// (lxc.DefconfigError): it leaves out what it does not change.
	kcfg, err := lxc.ReadKernelConfig(path)
	if err != nil {
		return nil, append(notes, fmt.Sprintf("kernel check not run: %v", err))
	}
	notes = append(notes, fmt.Sprintf("kernel config taken from BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE: %s", path))
	if frags, _ := cfg.Value("BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES"); strings.TrimSpace(frags) != "" {
		notes = append(notes, fmt.Sprintf("BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES (%s) are merged on top of it at build time and are not part of this check; check output/build/linux-*/.config after make linux-configure for the final verdict", frags))
	}
	return &kcfg, notes
}

var makeVarRE = regexp.MustCompile(`\$\(([A-Za-z0-9_]+)\)`)

// resolveBuildrootPath turns a path from a Buildroot option into a file on
// this machine: make variables expanded, a relative path taken from the
// Buildroot top folder (where make runs), which is the .config's folder for
// an in-tree build, or the -C folder in the Makefile Buildroot writes into
// an O= output folder.
func resolveBuildrootPath(value, configDir string) (string, error) {
	tops := buildrootTopDirs(configDir)
	vars := map[string]string{"CONFIG_DIR": configDir, "TOPDIR": tops[len(tops)-1]}
	for _, out := range []string{configDir, filepath.Join(configDir, "output")} {
		for k, v := range externalPaths(filepath.Join(out, ".br2-external.mk")) {
			vars[k] = v
		}
	}
	var unknown []string
	expanded := makeVarRE.ReplaceAllStringFunc(value, func(ref string) string {
		name := makeVarRE.FindStringSubmatch(ref)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		unknown = append(unknown, name)
		return ref
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("cannot expand $(%s) here; check the kernel config on its own", strings.Join(unknown, "), $("))
	}
	if filepath.IsAbs(expanded) {
		return expanded, nil // reading it says what is wrong with it
	}
	for _, top := range tops {
		candidate := filepath.Join(top, expanded)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("not found relative to the Buildroot top folder (tried %s)", strings.Join(tops, ", "))
}

var makeargsRE = regexp.MustCompile(`^MAKEARGS\s*:=\s*-C\s+(\S+)`)

// buildrootTopDirs returns the folders a relative Buildroot path may start
// from: the .config's folder, then the source tree an O= output folder's
// Makefile points to (the last one is the best guess for $(TOPDIR)).
func buildrootTopDirs(configDir string) []string {
	tops := []string{configDir}
	f, err := os.Open(filepath.Join(configDir, "Makefile"))
	if err != nil {
		return tops
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := makeargsRE.FindStringSubmatch(sc.Text()); m != nil {
			return append(tops, m[1])
		}
	}
	return tops
}

var externalPathRE = regexp.MustCompile(`^(BR2_EXTERNAL_[A-Za-z0-9_]+_PATH)\s*:?=\s*(\S+)`)

// externalPaths reads BR2_EXTERNAL_<NAME>_PATH from the .br2-external.mk
// Buildroot writes into its output folder.
func externalPaths(path string) map[string]string {
	vars := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return vars
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := externalPathRE.FindStringSubmatch(sc.Text()); m != nil {
			vars[m[1]] = m[2]
		}
	}
	return vars
}
