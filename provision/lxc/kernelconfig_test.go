package lxc

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

const smallKernelConfig = `#
# Automatically generated file; DO NOT EDIT.
# Linux/arm 5.15.92 Kernel Configuration
#
CONFIG_NAMESPACES=y
CONFIG_UTS_NS=y
CONFIG_VETH=m
# CONFIG_USER_NS is not set
CONFIG_CMDLINE="console=ttyS0 root=/dev/mmcblk0p2"
CONFIG_LOG_BUF_SHIFT=17
CONFIG_PID_NS=y
CONFIG_PID_NS=n
`

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseKernelConfigVerdicts(t *testing.T) {
	cfg, err := ParseKernelConfig(strings.NewReader(smallKernelConfig), "small")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"CONFIG_NAMESPACES":    true,  // =y
		"CONFIG_VETH":          true,  // =m
		"CONFIG_USER_NS":       false, // is not set
		"CONFIG_IPC_NS":        false, // absent
		"CONFIG_PID_NS":        false, // the later line wins, as in Kconfig
		"CONFIG_LOG_BUF_SHIFT": false, // a number is not "enabled"
	} {
		if got := cfg.Enabled(name); got != want {
			t.Errorf("Enabled(%s) = %v, want %v", name, got, want)
		}
	}
	if v, _ := cfg.Value("CONFIG_CMDLINE"); v != "console=ttyS0 root=/dev/mmcblk0p2" {
		t.Errorf("string value not unquoted: %q", v)
	}
	if !cfg.Mentions("CONFIG_USER_NS") || cfg.Mentions("CONFIG_IPC_NS") {
		t.Error("Mentions must be true for 'is not set' and false for absent options")
	}
	if cfg.Version != (KernelVersion{5, 15, 92}) {
		t.Errorf("version %v, want 5.15.92", cfg.Version)
	}
}

func TestParseKernelConfigVersionHeaders(t *testing.T) {
	for header, want := range map[string]KernelVersion{
		"# Linux/x86 6.1.0-rc3 Kernel Configuration": {6, 1, 0},
		"# Linux/arm64 4.4 Kernel Configuration":     {4, 4, 0},
		"# Linux kernel version: 2.6.24":             {2, 6, 24},
		"# just a comment":                           {},
	} {
		cfg, err := ParseKernelConfig(strings.NewReader(header+"\nCONFIG_X=y\n"), "h")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Version != want {
			t.Errorf("%q: version %v, want %v", header, cfg.Version, want)
		}
	}
	if (KernelVersion{}).Before(2, 6, 33) {
		t.Error("an unknown version must count as a current kernel")
	}
	if !(KernelVersion{4, 6, 9}).Before(4, 7, 0) || (KernelVersion{4, 7, 0}).Before(4, 7, 0) {
		t.Error("Before compares wrongly")
	}
}

func TestParseKernelConfigRejectsNonConfig(t *testing.T) {
	_, err := ParseKernelConfig(strings.NewReader(`{"locator": "libOCDM.so"}`), "plugin.json")
	if err == nil || !strings.Contains(err.Error(), "plugin.json") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestReadKernelConfigCompressedByMagic(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(smallKernelConfig))
	zw.Close()
	var xzb bytes.Buffer
	xw, err := xz.NewWriter(&xzb)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write([]byte(smallKernelConfig))
	xw.Close()
	// Names that lie about the content: detection is by magic bytes only.
	for name, data := range map[string][]byte{
		"plain.gz":  []byte(smallKernelConfig),
		"config":    gz.Bytes(),
		"config.gz": gz.Bytes(),
		"xz.config": xzb.Bytes(),
	} {
		path := writeFile(t, filepath.Join(dir, name), data)
		cfg, err := ReadKernelConfig(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !cfg.Enabled("CONFIG_VETH") || cfg.Enabled("CONFIG_USER_NS") || cfg.Source != path {
			t.Errorf("%s: wrong content or source %q", name, cfg.Source)
		}
	}
}

func TestReadKernelConfigCorruptGzipNamesFile(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "config.gz"), []byte{0x1f, 0x8b, 8, 0, 0, 0})
	_, err := ReadKernelConfig(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
}

func TestReadKernelConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := ReadKernelConfig(path)
	if !errors.Is(err, fs.ErrNotExist) || strings.Count(err.Error(), path) != 1 {
		t.Fatalf("want one not-exist error naming the file once, got %v", err)
	}
}

func TestReadKernelConfigBuildrootOutputFolder(t *testing.T) {
	top := t.TempDir()
	// Buildroot's own .config at the top: Kconfig format, but no CONFIG_.
	writeFile(t, filepath.Join(top, ".config"), []byte("BR2_HAVE_DOT_CONFIG=y\nBR2_LINUX_KERNEL=y\n"))
	// Packages Buildroot unpacks beside the kernel must not be mistaken for it.
	writeFile(t, filepath.Join(top, "output/build/linux-headers-6.1.44/.config"), []byte(smallKernelConfig))
	writeFile(t, filepath.Join(top, "output/build/linux-pam-1.5.2/Makefile"), []byte("all:\n"))
	kernel := writeFile(t, filepath.Join(top, "output/build/linux-6.1.44/.config"), []byte(smallKernelConfig))

	for _, dir := range []string{top, filepath.Join(top, "output")} {
		cfg, err := ReadKernelConfig(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if cfg.Source != kernel {
			t.Errorf("%s: found %s, want %s", dir, cfg.Source, kernel)
		}
	}

	// A kernel build tree: its own .config is the one.
	tree := t.TempDir()
	own := writeFile(t, filepath.Join(tree, ".config"), []byte(smallKernelConfig))
	if got, err := FindKernelConfig(tree); err != nil || got != own {
		t.Errorf("kernel tree: got %q, %v", got, err)
	}

	// Two kernel folders (a version bump without a clean): ambiguous.
	writeFile(t, filepath.Join(top, "output/build/linux-custom/.config"), []byte(smallKernelConfig))
	if _, err := ReadKernelConfig(top); err == nil || !strings.Contains(err.Error(), "linux-custom") {
		t.Errorf("two kernel folders: want an error listing them, got %v", err)
	}

	// No kernel configured yet.
	empty := t.TempDir()
	if _, err := ReadKernelConfig(empty); !errors.Is(err, ErrNoKernelConfig) || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty folder: want ErrNoKernelConfig naming it, got %v", err)
	}
}

func TestReadKernelConfigProcAbsent(t *testing.T) {
	old := ProcConfigPath
	t.Cleanup(func() { ProcConfigPath = old })
	ProcConfigPath = filepath.Join(t.TempDir(), "config.gz")
	_, err := ReadKernelConfig("")
	if !errors.Is(err, ErrNoKernelConfig) {
		t.Fatalf("want ErrNoKernelConfig, got %v", err)
	}
	for _, hint := range []string{ProcConfigPath, "CONFIG_IKCONFIG_PROC"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q lacks %q", err, hint)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error must be one line: %q", err)
	}
}

func TestReadKernelConfigRunningKernel(t *testing.T) {
	if _, err := os.Stat("/proc/config.gz"); err != nil {
		t.Skip("needs /proc/config.gz: this kernel was built without CONFIG_IKCONFIG_PROC")
	}
	cfg, err := ReadKernelConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != "/proc/config.gz" || !cfg.Version.Known() || !cfg.Mentions("CONFIG_NAMESPACES") {
		t.Errorf("running kernel config not read: source %q, version %v", cfg.Source, cfg.Version)
	}
}

// A file without the "Kernel Configuration" header is a defconfig: every
// reader of kernel configs refuses it the same way, naming the file and
// where the full .config is, rather than judging options it leaves out.
func TestReadKernelConfigRefusesDefconfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "linux.config")
	if err := os.WriteFile(path, []byte("CONFIG_NAMESPACES=y\nCONFIG_SCHED_AUTOGROUP=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadKernelConfig(path)
	var de *DefconfigError
	if !errors.Is(err, ErrDefconfig) || !errors.As(err, &de) || de.Path != path {
		t.Fatalf("err = %v, want a DefconfigError for %s", err, path)
	}
	for _, want := range []string{path, "defconfig", "output/build/linux-*/.config", "make olddefconfig"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
