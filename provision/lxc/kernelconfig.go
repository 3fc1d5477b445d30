package lxc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// ProcConfigPath is where a running kernel built with CONFIG_IKCONFIG_PROC
// exposes its configuration. A variable so tests can point it elsewhere.
var ProcConfigPath = "/proc/config.gz"

// ErrNoKernelConfig means no kernel configuration was found where one was
// looked for (no /proc/config.gz, no build/linux-*/.config in a folder).
var ErrNoKernelConfig = errors.New("no kernel configuration found")

// ErrDefconfig means a kernel configuration is defconfig-style, which no
// option can be judged from (see DefconfigError).
var ErrDefconfig = errors.New("a defconfig cannot be judged option by option")

// DefconfigError is a kernel configuration without the "Kernel
// Configuration" header every full .config has: make savedefconfig's
// output, or a board's linux.config. It lists only the options that differ
// from their defaults and leaves out those another option selects (the
// WPE Raspberry Pi 3 container config has no CONFIG_CGROUPS because
// SCHED_AUTOGROUP selects it), so an option it does not name may well be
// on, and one it turns off may be forced on.
type DefconfigError struct{ Path string }

func (e *DefconfigError) Error() string {
	return fmt.Sprintf("kernel config %q is a defconfig (no \"Kernel Configuration\" header): it leaves out the options at their default and those other options select, so none can be judged from it; "+
		"check the full .config the kernel build makes from it instead: Buildroot writes it to output/build/linux-*/.config (make linux-configure), a kernel tree with make olddefconfig", e.Path)
}

func (e *DefconfigError) Is(target error) bool { return target == ErrDefconfig }

// KernelConfig is a parsed Kconfig file: a kernel .config, or any file in the
// same format (Buildroot's .config is one too).
type KernelConfig struct {
	// Source is the file the configuration was read from.
	Source string
	// Version is the kernel version from the "# Linux/<arch> X.Y.Z Kernel
	// Configuration" header; zero when the file has no such header.
	Version KernelVersion
	// values holds every assignment: NAME → raw value, and "n" for
	// "# NAME is not set".
	values map[string]string
}

// KernelVersion is a kernel release number. The zero value means unknown.
type KernelVersion struct{ Major, Minor, Patch int }

// Known reports whether the configuration said which kernel it is for.
func (v KernelVersion) Known() bool { return v != KernelVersion{} }

// Before reports whether v is older than major.minor.patch. An unknown
// version is taken as the latest kernel, as lxc-checkconfig does.
func (v KernelVersion) Before(major, minor, patch int) bool {
	if !v.Known() {
		return false
	}
	if v.Major != major {
		return v.Major < major
	}
	if v.Minor != minor {
		return v.Minor < minor
	}
	return v.Patch < patch
}

func (v KernelVersion) String() string {
	if !v.Known() {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Enabled reports whether name is built in (=y) or a module (=m). "# NAME is
// not set", any other value and absence all count as not enabled.
func (c KernelConfig) Enabled(name string) bool {
	v := c.values[name]
	return v == "y" || v == "m"
}

// Value returns the value assigned to name, with string values unquoted,
// and whether the file assigns it at all ("is not set" gives "n", true).
func (c KernelConfig) Value(name string) (string, bool) {
	v, ok := c.values[name]
	if !ok {
		return "", false
	}
	if len(v) >= 2 && v[0] == '"' {
		if s, err := strconv.Unquote(v); err == nil {
			return s, true
		}
	}
	return v, true
}

// Mentions reports whether the file names the option at all, set or not:
// Kconfig writes "# NAME is not set" for every visible option left off, so
// a mention means the option exists in the tree that wrote the file.
func (c KernelConfig) Mentions(name string) bool {
	_, ok := c.values[name]
	return ok
}

var (
	// "# Linux/x86 6.1.0 Kernel Configuration" (kernels since 2.6.2x)
	headerRE = regexp.MustCompile(`^# Linux(?:/\S+)? (\d+)\.(\d+)(?:\.(\d+))?\S* Kernel Configuration`)
	// "# Linux kernel version: 2.6.24" (older kernels)
	oldHeaderRE = regexp.MustCompile(`^# Linux kernel version: (\d+)\.(\d+)(?:\.(\d+))?`)
	notSetRE    = regexp.MustCompile(`^# ([A-Za-z0-9_]+) is not set$`)
	assignRE    = regexp.MustCompile(`^([A-Za-z0-9_]+)=(.*)$`)
)

// ParseKernelConfig reads a Kconfig file already decompressed. source only
// names it in the result and in errors. A later assignment of the same name
// wins, as it does when Kconfig itself reads the file.
func ParseKernelConfig(r io.Reader, source string) (KernelConfig, error) {
	cfg := KernelConfig{Source: source, values: map[string]string{}}
	sc := bufio.NewScanner(r)
	// CONFIG_CMDLINE and similar strings can be long; 1 MiB is plenty.
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := assignRE.FindStringSubmatch(line); m != nil {
			cfg.values[m[1]] = m[2]
			continue
		}
		if m := notSetRE.FindStringSubmatch(line); m != nil {
			cfg.values[m[1]] = "n"
			continue
		}
		if !cfg.Version.Known() {
			m := headerRE.FindStringSubmatch(line)
			if m == nil {
				m = oldHeaderRE.FindStringSubmatch(line)
			}
			if m != nil {
				cfg.Version = parseVersion(m[1:])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return KernelConfig{}, fmt.Errorf("read %q: %w", source, err)
	}
	if len(cfg.values) == 0 {
		return KernelConfig{}, fmt.Errorf("%q has no configuration options: it is not a Kconfig .config file", source)
	}
	return cfg, nil
}

func parseVersion(parts []string) KernelVersion {
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	return KernelVersion{Major: n(parts[0]), Minor: n(parts[1]), Patch: n(parts[2])}
}

// ReadKernelConfig reads a full kernel configuration from path:
//   - "" means the running kernel's ProcConfigPath (/proc/config.gz);
//   - a folder is searched with FindKernelConfig (a kernel build tree or a
//     Buildroot output folder);
//   - a file may be plain or compressed (config.gz, Debian's config.*.xz),
//     told apart by its first bytes, never by its name.
//
// A defconfig-style file is refused with a *DefconfigError: every caller
// judges options one by one, which such a file cannot answer.
func ReadKernelConfig(path string) (KernelConfig, error) {
	cfg, err := readKernelConfig(path)
	if err == nil && !cfg.Version.Known() {
		return KernelConfig{}, &DefconfigError{Path: cfg.Source}
	}
	return cfg, err
}

func readKernelConfig(path string) (KernelConfig, error) {
	if path == "" {
		cfg, err := readConfigFile(ProcConfigPath)
		if errors.Is(err, fs.ErrNotExist) {
			return KernelConfig{}, fmt.Errorf("%w: %s does not exist (the running kernel was built without CONFIG_IKCONFIG_PROC, or try: modprobe configs)",
				ErrNoKernelConfig, ProcConfigPath)
		}
		return cfg, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return KernelConfig{}, fileError("kernel config", path, err)
	}
	if info.IsDir() {
		found, err := FindKernelConfig(path)
		if err != nil {
			return KernelConfig{}, err
		}
		path = found
	}
	return readConfigFile(path)
}

// readConfigFile reads one kernel config file.
func readConfigFile(path string) (KernelConfig, error) { return ReadKconfig("kernel config", path) }

// ReadKconfig reads one Kconfig file (a kernel's or Buildroot's .config),
// plain or compressed. what names it in errors: "kernel config",
// "buildroot config".
func ReadKconfig(what, path string) (KernelConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return KernelConfig{}, fileError(what, path, err)
	}
	defer f.Close()
	r, err := archive.Uncompress(f)
	if err != nil {
		return KernelConfig{}, fmt.Errorf("%s %q: %w", what, path, err)
	}
	defer r.Close()
	return ParseKernelConfig(r, path)
}

// fileError names the file once and keeps the cause (ENOENT, EACCES, …)
// reachable with errors.Is, instead of repeating the path that
// *fs.PathError already carries.
func fileError(what, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %q: %w", what, path, err)
}

// FindKernelConfig finds the kernel .config inside a folder, trying in turn:
// DIR/.config when it is a kernel configuration (a kernel build tree),
// DIR/build/linux-*/.config (a Buildroot output folder) and
// DIR/output/build/linux-*/.config (a Buildroot top folder, in-tree build).
// Buildroot's own .config sits in the top folder too; it is told apart by
// having no CONFIG_ options.
func FindKernelConfig(dir string) (string, error) {
	top := filepath.Join(dir, ".config")
	if cfg, err := readConfigFile(top); err == nil && looksLikeKernel(cfg) {
		return top, nil
	}
	for _, pattern := range []string{
		filepath.Join(dir, "build", "linux-*", ".config"),
		filepath.Join(dir, "output", "build", "linux-*", ".config"),
	} {
		found, err := kernelBuildConfigs(pattern)
		if err != nil {
			return "", err
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return "", fmt.Errorf("%q holds several kernel build folders (%s): name the .config to check", dir, strings.Join(found, ", "))
		}
	}
	return "", fmt.Errorf("%w in %q (looked for .config, build/linux-*/.config and output/build/linux-*/.config): configure the kernel first (make linux-configure) or name the config file",
		ErrNoKernelConfig, dir)
}

// kernelBuildConfigs lists the files matching pattern that are kernel
// configurations. Buildroot also unpacks linux-headers-*, linux-firmware-*,
// linux-pam-* and such under build/; those have no kernel .config.
func kernelBuildConfigs(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(filepath.Dir(m)), "linux-headers-") {
			continue
		}
		if cfg, err := readConfigFile(m); err == nil && looksLikeKernel(cfg) {
			found = append(found, m)
		}
	}
	sort.Strings(found)
	return found, nil
}

// looksLikeKernel reports whether a parsed Kconfig file is a kernel's: its
// header names a Linux version or its options start with CONFIG_.
func looksLikeKernel(cfg KernelConfig) bool {
	if cfg.Version.Known() {
		return true
	}
	for name := range cfg.values {
		if strings.HasPrefix(name, "CONFIG_") {
			return true
		}
	}
	return false
}
