package lxc

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// busyboxArches are the Debian architectures whose busybox-static the tests
// unpack, with what DetectArch must say about them.
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

// networkTrouble tells apt-get output about an unreachable mirror from other
// failures (which must fail the test, not skip it).
var networkTrouble = []string{"Temporary failure resolving", "Could not resolve", "Could not connect",
	"Failed to fetch", "Network is unreachable", "Connection timed out"}

// downloadBusyboxes fetches busybox-static for every architecture with
// apt-get download and unpacks each with dpkg-deb -x; it returns the static
// busybox binary of each Debian architecture.
func downloadBusyboxes(t *testing.T) map[string]string {
	t.Helper()
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (a Debian machine): %v", tool, err)
		}
	}
	dir := t.TempDir()
	args := []string{"download", "-q", "-o", "APT::Sandbox::User=root"}
	for _, a := range busyboxArches {
		args = append(args, "busybox-static:"+a.debArch)
	}
	cmd := exec.Command("apt-get", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		for _, s := range networkTrouble {
			if strings.Contains(string(out), s) {
				t.Skipf("needs the Debian mirror (apt-get download failed for lack of network): %s", out)
			}
		}
		t.Fatalf("apt-get %s: %v\n%s\nthe foreign architectures must be known to apt: "+
			"dpkg --add-architecture armhf && dpkg --add-architecture arm64 && "+
			"dpkg --add-architecture i386 && apt-get update", strings.Join(args, " "), err, out)
	}
	bins := map[string]string{}
	for _, a := range busyboxArches {
		debs, _ := filepath.Glob(filepath.Join(dir, "busybox-static_*_"+a.debArch+".deb"))
		if len(debs) != 1 {
			t.Fatalf("apt-get download left %d .deb files for %s in %s", len(debs), a.debArch, dir)
		}
		x := filepath.Join(dir, a.debArch)
		if out, err := exec.Command("dpkg-deb", "-x", debs[0], x).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -x %s: %v: %s", debs[0], err, out)
		}
		bins[a.debArch] = filepath.Join(x, "bin", "busybox")
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
	bins := downloadBusyboxes(t)
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
