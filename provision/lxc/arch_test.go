package lxc

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// busyboxArches are the Debian architectures whose busybox-static the tests
// read, with what DetectArch must say about them.
var busyboxArches = []struct {
	debArch string
	class   int
	machine elf.Machine
	lxcArch string
	loader  string // the dynamic loader's name on that architecture
}{
	{"armhf", 32, elf.EM_ARM, "linux32", "ld-linux-armhf.so.3"},
	{"arm64", 64, elf.EM_AARCH64, "linux64", "ld-linux-aarch64.so.1"},
	{"amd64", 64, elf.EM_X86_64, "linux64", "ld-linux-x86-64.so.2"},
	{"i386", 32, elf.EM_386, "linux32", "ld-linux.so.2"},
}

// busyboxes returns the static busybox of every architecture, from the
// busybox-static packages make test-deps downloads and unpacks (apt reads
// lists of that architecture alone: dpkg need not know it).
func busyboxes(t *testing.T) map[string]string {
	t.Helper()
	bins := map[string]string{}
	for _, a := range busyboxArches {
		bins[a.debArch] = filepath.Join(treetest.Unpacked(t, "busybox-static:"+a.debArch), "bin", "busybox")
	}
	return bins
}

func copyFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, perm); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

func TestDetectArchRealBusybox(t *testing.T) {
	bins := busyboxes(t)
	for _, a := range busyboxArches {
		check := func(t *testing.T, rootDir, wantPath string) {
			t.Helper()
			info, err := DetectArch(openRoot(t, rootDir))
			if err != nil {
				t.Fatalf("DetectArch: %v", err)
			}
			if info.Class != a.class || info.Machine != a.machine || info.LXCArch != a.lxcArch || info.Path != wantPath {
				t.Errorf("DetectArch = %+v, want Path %s Class %d Machine %v LXCArch %s",
					info, wantPath, a.class, a.machine, a.lxcArch)
			}
		}
		// /sbin/init -> /bin/busybox: the absolute link must land on the
		// rootfs's busybox, not the build host's /bin/busybox (amd64).
		t.Run(a.debArch+"/init-symlink", func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, bins[a.debArch], filepath.Join(dir, "bin", "busybox"), 0o755)
			symlink(t, "/bin/busybox", filepath.Join(dir, "sbin", "init"))
			symlink(t, "busybox", filepath.Join(dir, "bin", "sh"))
			check(t, dir, "/sbin/init")
		})
		// A shell-script /sbin/init is passed over for /bin/sh, reached
		// through a usr-merged /bin -> /usr/bin.
		t.Run(a.debArch+"/script-init", func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, bins[a.debArch], filepath.Join(dir, "usr", "bin", "sh"), 0o755)
			symlink(t, "/usr/bin", filepath.Join(dir, "bin"))
			if err := os.MkdirAll(filepath.Join(dir, "sbin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "sbin", "init"), []byte("#!/bin/sh\nexec /bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			check(t, dir, "/bin/sh")
		})
		// No program at all: the dynamic loader alone tells, found in a
		// usr-merged /lib (here the busybox binary stands in for it).
		t.Run(a.debArch+"/loader-only", func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, bins[a.debArch], filepath.Join(dir, "usr", "lib", a.loader), 0o755)
			symlink(t, "usr/lib", filepath.Join(dir, "lib"))
			check(t, dir, "/lib/"+a.loader)
		})
	}
}

func TestDetectArchNoELF(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A script init, and an init link that escapes to the host's /bin/sh:
	// neither may be taken for the rootfs's architecture.
	if err := os.WriteFile(filepath.Join(dir, "sbin", "init"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "../../../../../../bin/sh", filepath.Join(dir, "bin", "sh"))
	symlink(t, "/usr/bin/busybox", filepath.Join(dir, "bin", "busybox"))
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Fatalf("the test needs the host's /bin/sh to exist: %v", err)
	}
	_, err := DetectArch(openRoot(t, dir))
	var noELF *NoELFError
	if !errors.Is(err, ErrNoELF) || !errors.As(err, &noELF) {
		t.Fatalf("DetectArch = %v, want a NoELFError", err)
	}
	// The facts only: what to do is the caller's to say, in its own words.
	want := "no ELF program in the rootfs " + dir + " (looked for /sbin/init, /bin/busybox, /bin/sh, /usr/sbin/init, /usr/bin/busybox, " +
		"/lib/ld-*, /lib64/ld-*, /usr/lib/ld-*, /usr/lib64/ld-*) (/sbin/init: not an ELF file"
	if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "--") {
		t.Errorf("error:\n%s\nwant it to start:\n%s", err, want)
	}
}
