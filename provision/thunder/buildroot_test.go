package thunder

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// Buildroot .config fixtures, trimmed to the lines that matter; real ones
// start the same way.
const brHead = `#
# Automatically generated file; DO NOT EDIT.
# Buildroot 2023.02.8 Configuration
#
BR2_HAVE_DOT_CONFIG=y
BR2_ARCH="arm"
`

const brR5 = brHead + `BR2_PACKAGE_LXC=y
BR2_PACKAGE_CGROUPFS_MOUNT=y
# BR2_PACKAGE_LIBSECCOMP is not set
BR2_PACKAGE_THUNDER=y
BR2_PACKAGE_THUNDER_PROCESSCONTAINERS=y
BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC=y
# BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_RUNC is not set
BR2_PACKAGE_THUNDER_PLUGINPROCESSCONTAINERS=y
BR2_LINUX_KERNEL=y
BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG=y
BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE="board/acme/linux.config"
BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES=""
`

const brR4 = brHead + `# BR2_PACKAGE_LXC is not set
# BR2_PACKAGE_LIBSECCOMP is not set
BR2_PACKAGE_WPEFRAMEWORK=y
BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS=y
# BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS_BE_LXC is not set
BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS_BE_RUNC=y
# BR2_PACKAGE_WPEFRAMEWORK_PLUGINPROCESSCONTAINERS is not set
# BR2_LINUX_KERNEL is not set
`

// kernelConfig is a complete-enough kernel .config; drop removes options.
func kernelConfig(drop ...string) string {
	text := "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/arm 6.1.44 Kernel Configuration\n#\n"
	for _, o := range []string{"NAMESPACES", "UTS_NS", "IPC_NS", "PID_NS", "NET_NS", "USER_NS", "CGROUPS",
		"CGROUP_DEVICE", "CGROUP_FREEZER", "MEMCG", "VETH", "BRIDGE", "SECCOMP", "SECCOMP_FILTER"} {
		line := "CONFIG_" + o + "=y"
		for _, d := range drop {
			if d == o {
				line = "# CONFIG_" + o + " is not set"
			}
		}
		text += line + "\n"
	}
	return text
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func option(t *testing.T, r BuildrootReport, name string) BuildrootFinding {
	t.Helper()
	for _, f := range r.Options {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no finding %s in %+v", name, r.Options)
	return BuildrootFinding{}
}

func kernelOption(t *testing.T, r BuildrootReport, name string) lxc.KernelFinding {
	t.Helper()
	if r.Kernel == nil {
		t.Fatalf("kernel check did not run: %v", r.Notes)
	}
	for _, f := range r.Kernel.Options {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no kernel finding %s", name)
	return lxc.KernelFinding{}
}

func check(t *testing.T, path string) BuildrootReport {
	t.Helper()
	r, err := CheckBuildroot(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckBuildrootR5WithCustomKernelConfig(t *testing.T) {
	top := t.TempDir()
	brc := write(t, filepath.Join(top, ".config"), brR5)
	kc := write(t, filepath.Join(top, "board/acme/linux.config"), kernelConfig("SECCOMP_FILTER"))

	r := check(t, brc)
	if r.Family != "Thunder" || !r.OK || r.Seccomp != "comment" {
		t.Fatalf("family %q ok %v seccomp %q, notes %v", r.Family, r.OK, r.Seccomp, r.Notes)
	}
	for _, name := range []string{"BR2_PACKAGE_THUNDER", "BR2_PACKAGE_THUNDER_PROCESSCONTAINERS", "BR2_PACKAGE_THUNDER_PROCESSCONTAINERS_BE_LXC", "BR2_PACKAGE_LXC"} {
		if f := option(t, r, name); !f.Present || !f.Required || f.Menu == "" {
			t.Errorf("%s: %+v", name, f)
		}
	}
	if f := option(t, r, "BR2_PACKAGE_LIBSECCOMP"); f.Present || f.Required || !strings.Contains(f.Why, "4.0.11") || !strings.Contains(f.Why, "seccomp mode comment") || f.Menu != "Target packages → Libraries → Other → libseccomp" {
		t.Errorf("libseccomp off: %+v", f)
	}
	if r.Kernel.Config != kc {
		t.Errorf("kernel check ran on %q, want %q", r.Kernel.Config, kc)
	}
	// Without libseccomp the profile line is commented, so the kernel's
	// missing SECCOMP_FILTER does not matter.
	if f := kernelOption(t, r, "CONFIG_SECCOMP_FILTER"); f.Present || f.Required {
		t.Errorf("SECCOMP_FILTER: %+v", f)
	}
}

func TestCheckBuildrootLibseccompNeedsSeccompFilter(t *testing.T) {
	top := t.TempDir()
	brc := write(t, filepath.Join(top, ".config"), strings.Replace(brR5, "# BR2_PACKAGE_LIBSECCOMP is not set", "BR2_PACKAGE_LIBSECCOMP=y", 1))
	write(t, filepath.Join(top, "board/acme/linux.config"), kernelConfig("SECCOMP_FILTER"))

	r := check(t, brc)
	if r.Seccomp != "keep" || r.OK {
		t.Fatalf("seccomp %q ok %v: libseccomp keeps the profile and the kernel cannot load it", r.Seccomp, r.OK)
	}
	if f := option(t, r, "BR2_PACKAGE_LIBSECCOMP"); !f.Present || !strings.Contains(f.Why, "CONFIG_SECCOMP_FILTER") {
		t.Errorf("libseccomp on: %+v", f)
	}
	if f := kernelOption(t, r, "CONFIG_SECCOMP_FILTER"); f.Present || !f.Required {
		t.Errorf("SECCOMP_FILTER: %+v", f)
	}
}

func TestCheckBuildrootR4Family(t *testing.T) {
	brc := write(t, filepath.Join(t.TempDir(), ".config"), brR4)
	r := check(t, brc)
	if r.Family != "WPEFramework" || r.OK || r.Kernel != nil {
		t.Fatalf("family %q ok %v kernel %v", r.Family, r.OK, r.Kernel)
	}
	if f := option(t, r, "BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS_BE_LXC"); f.Present || !f.Required || !strings.Contains(f.Menu, "Containers backend → LXC") {
		t.Errorf("BE_LXC: %+v", f)
	}
	if f := option(t, r, "BR2_PACKAGE_LXC"); f.Present || f.Menu != "Target packages → System tools → lxc" {
		t.Errorf("lxc: %+v", f)
	}
	if f := option(t, r, "BR2_PACKAGE_WPEFRAMEWORK_PLUGINPROCESSCONTAINERS"); f.Required {
		t.Errorf("the ProcessContainers plugin is optional: %+v", f)
	}
	for _, f := range r.Options {
		if strings.HasPrefix(f.Name, "BR2_PACKAGE_THUNDER") {
			t.Errorf("R4 tree reported with R5 option %s", f.Name)
		}
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "BR2_LINUX_KERNEL is off") {
		t.Errorf("notes %v", r.Notes)
	}
}

func TestCheckBuildrootFamilyKnownButOff(t *testing.T) {
	brc := write(t, filepath.Join(t.TempDir(), ".config"), brHead+"# BR2_PACKAGE_THUNDER is not set\n")
	r := check(t, brc)
	if f := option(t, r, "BR2_PACKAGE_THUNDER"); r.Family != "Thunder" || f.Present || f.Menu != "External options → thunder" {
		t.Errorf("family %q, %+v", r.Family, f)
	}
}

func TestCheckBuildrootNoThunderAtAll(t *testing.T) {
	brc := write(t, filepath.Join(t.TempDir(), ".config"), brHead+"BR2_PACKAGE_LXC=y\n")
	r := check(t, brc)
	f := option(t, r, "BR2_PACKAGE_THUNDER")
	if r.Family != "" || r.OK || f.Present || !strings.Contains(f.Why, "buildroot-external-metrological-open-source") {
		t.Errorf("family %q ok %v: %+v", r.Family, r.OK, f)
	}
}

func TestCheckBuildrootPrefersKernelBuildFolder(t *testing.T) {
	top := t.TempDir()
	brc := write(t, filepath.Join(top, ".config"), brR5)
	write(t, filepath.Join(top, "board/acme/linux.config"), kernelConfig())
	built := write(t, filepath.Join(top, "output/build/linux-6.1.44/.config"), kernelConfig("USER_NS"))

	r := check(t, brc)
	if r.Kernel == nil || r.Kernel.Config != built || r.OK {
		t.Fatalf("kernel %+v ok %v: the build folder's config (USER_NS off) must be the one checked", r.Kernel, r.OK)
	}
	if f := kernelOption(t, r, "CONFIG_USER_NS"); f.Present || !f.Required {
		t.Errorf("USER_NS: %+v", f)
	}
}

func TestCheckBuildrootDefconfigIsNotJudged(t *testing.T) {
	top := t.TempDir()
	brc := write(t, filepath.Join(top, ".config"), brR5)
	// savedefconfig output: no header, only non-default options.
	write(t, filepath.Join(top, "board/acme/linux.config"), "CONFIG_CGROUPS=y\nCONFIG_USER_NS=y\n")
	r := check(t, brc)
	if r.Kernel != nil || !r.OK || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "defconfig") {
		t.Errorf("kernel %v ok %v notes %v", r.Kernel, r.OK, r.Notes)
	}
}

func TestCheckBuildrootFragmentsNoted(t *testing.T) {
	top := t.TempDir()
	brc := write(t, filepath.Join(top, ".config"), strings.Replace(brR5,
		`BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES=""`, `BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES="board/acme/lxc.fragment"`, 1))
	write(t, filepath.Join(top, "board/acme/linux.config"), kernelConfig())
	r := check(t, brc)
	if r.Kernel == nil || !strings.Contains(strings.Join(r.Notes, "\n"), "board/acme/lxc.fragment") {
		t.Errorf("kernel %v notes %v", r.Kernel, r.Notes)
	}
}

func TestCheckBuildrootExternalAndOutOfTree(t *testing.T) {
	// make O=/out -C /src with the kernel config in a br2-external tree.
	src, out, ext := t.TempDir(), t.TempDir(), t.TempDir()
	kc := write(t, filepath.Join(ext, "board/linux.config"), kernelConfig())
	brc := write(t, filepath.Join(out, ".config"), strings.Replace(brR5,
		`"board/acme/linux.config"`, `"$(BR2_EXTERNAL_ACME_PATH)/board/linux.config"`, 1))
	write(t, filepath.Join(out, ".br2-external.mk"), "BR2_EXTERNAL_NAMES += ACME\nBR2_EXTERNAL_ACME_PATH = "+ext+"\n")
	write(t, filepath.Join(out, "Makefile"), "# Automatically generated by "+src+"/Makefile: don't edit\nMAKEARGS := -C "+src+"\n")
	if r := check(t, brc); r.Kernel == nil || r.Kernel.Config != kc {
		t.Fatalf("external path not resolved: kernel %v notes %v", r.Kernel, r.Notes)
	}

	// A relative path is taken from the source tree named by -C.
	rel := write(t, filepath.Join(src, "board/acme/linux.config"), kernelConfig())
	write(t, brc, brR5)
	if r := check(t, brc); r.Kernel == nil || r.Kernel.Config != rel {
		t.Fatalf("relative path not resolved from -C: kernel %v notes %v", r.Kernel, r.Notes)
	}

	// An unknown make variable is reported, not guessed.
	write(t, brc, strings.Replace(brR5, `"board/acme/linux.config"`, `"$(BR2_EXTERNAL_OTHER_PATH)/linux.config"`, 1))
	if r := check(t, brc); r.Kernel != nil || !strings.Contains(strings.Join(r.Notes, ""), "$(BR2_EXTERNAL_OTHER_PATH)") {
		t.Fatalf("unknown variable: kernel %v notes %v", r.Kernel, r.Notes)
	}
}

func TestCheckBuildrootDefaultPathAndErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := CheckBuildroot(""); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `".config"`) {
		t.Errorf("no ./.config: %v", err)
	}
	write(t, filepath.Join(dir, ".config"), brR4)
	if r, err := CheckBuildroot(""); err != nil || r.Config != ".config" || r.Family != "WPEFramework" {
		t.Errorf("./.config: %+v %v", r, err)
	}
	if r, err := CheckBuildroot(dir); err != nil || r.Config != filepath.Join(dir, ".config") {
		t.Errorf("folder: %+v %v", r, err)
	}
	kernel := write(t, filepath.Join(dir, "linux.config"), kernelConfig())
	if _, err := CheckBuildroot(kernel); !errors.Is(err, ErrNotBuildrootConfig) || !strings.Contains(err.Error(), kernel) {
		t.Errorf("a kernel config given to check buildroot: %v", err)
	}
}
