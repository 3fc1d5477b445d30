package lxc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The build host's own liblxc (Debian's lxc package, linked with
// libseccomp) and a small library that does not need libseccomp.
const (
	hostLibLXC = "/usr/lib/x86_64-linux-gnu/liblxc.so.1"
	hostLibZ   = "/usr/lib/x86_64-linux-gnu/libz.so.1"
)

// copyChain copies the host file at hostPath into rootDir at inRoot, with its
// chain of relative symlinks (liblxc.so.1 -> liblxc.so.1.7.0) recreated
// beside it, as the target would have them.
func copyChain(t *testing.T, hostPath, rootDir, inRoot string) {
	t.Helper()
	for range 10 {
		info, err := os.Lstat(hostPath)
		if err != nil {
			t.Skipf("needs %s (apt-get install lxc zlib1g): %v", hostPath, err)
		}
		dst := filepath.Join(rootDir, inRoot)
		if info.Mode()&os.ModeSymlink == 0 {
			copyFile(t, hostPath, dst, 0o644)
			return
		}
		target, err := os.Readlink(hostPath)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.IsAbs(target) {
			t.Fatalf("%s is an absolute link (%s): the test expects relative ones", hostPath, target)
		}
		symlink(t, target, dst)
		hostPath = filepath.Join(filepath.Dir(hostPath), target)
		inRoot = filepath.Join(filepath.Dir(inRoot), target)
	}
	t.Fatalf("symlink chain of %s too long", hostPath)
}

func TestFindLibLXCWithSeccomp(t *testing.T) {
	dir := t.TempDir()
	copyChain(t, hostLibLXC, dir, "usr/lib/x86_64-linux-gnu/liblxc.so.1")
	// Usr-merged, like Debian: /lib is /usr/lib and must not be read twice.
	symlink(t, "usr/lib", filepath.Join(dir, "lib"))
	// A dangling development link is passed over.
	symlink(t, "liblxc.so.0.0.0", filepath.Join(dir, "usr", "lib", "x86_64-linux-gnu", "liblxc.so"))

	lib, found, err := FindLibLXC(openRoot(t, dir))
	if err != nil || !found {
		t.Fatalf("FindLibLXC = %+v, %v, %v; want the copied liblxc", lib, found, err)
	}
	if !lib.Seccomp {
		t.Errorf("Seccomp = false for Debian's liblxc (needs %v)", lib.Needed)
	}
	if lib.Path != "/usr/lib/x86_64-linux-gnu/liblxc.so.1" {
		t.Errorf("Path = %q, want /usr/lib/x86_64-linux-gnu/liblxc.so.1", lib.Path)
	}
	for _, want := range []string{"libseccomp.so.2", "libc.so.6"} {
		if !slices.Contains(lib.Needed, want) {
			t.Errorf("Needed = %v, lacks %s", lib.Needed, want)
		}
	}
}

// A liblxc built without libseccomp (Buildroot's default): here a real
// shared library that needs only libc, under liblxc's name in /usr/lib.
func TestFindLibLXCWithoutSeccomp(t *testing.T) {
	dir := t.TempDir()
	copyChain(t, hostLibZ, dir, "usr/lib/liblxc.so.1")
	lib, found, err := FindLibLXC(openRoot(t, dir))
	if err != nil || !found {
		t.Fatalf("FindLibLXC = %+v, %v, %v; want the library", lib, found, err)
	}
	if lib.Seccomp {
		t.Errorf("Seccomp = true for a library that needs %v", lib.Needed)
	}
	if lib.Path != "/usr/lib/liblxc.so.1" || !slices.Equal(lib.Needed, []string{"libc.so.6"}) {
		t.Errorf("FindLibLXC = %+v, want Path /usr/lib/liblxc.so.1, Needed [libc.so.6]", lib)
	}
}

func TestFindLibLXCAbsent(t *testing.T) {
	dir := t.TempDir()
	// Other libraries, and a liblxc link that escapes to the build host's
	// real liblxc: the target has none of its own.
	copyChain(t, hostLibZ, dir, "usr/lib/libz.so.1")
	symlink(t, "../../../../../../../.."+hostLibLXC, filepath.Join(dir, "usr", "lib", "liblxc.so.1"))
	if _, err := os.Stat(hostLibLXC); err != nil {
		t.Skipf("needs %s (apt-get install lxc): %v", hostLibLXC, err)
	}
	lib, found, err := FindLibLXC(openRoot(t, dir))
	if err != nil || found {
		t.Fatalf("FindLibLXC = %+v, %v, %v; want found=false and no error", lib, found, err)
	}
}

func TestFindLibLXCNotELF(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "usr", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "usr", "lib", "liblxc.so.1"), []byte("not a library\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, found, err := FindLibLXC(openRoot(t, dir))
	if err == nil || found {
		t.Fatalf("found=%v err=%v; want an error for a liblxc that is not ELF", found, err)
	}
	if !strings.Contains(err.Error(), "/usr/lib/liblxc.so.1") || !strings.Contains(err.Error(), "not an ELF file") {
		t.Errorf("error %q does not name the file and the problem", err)
	}
}
