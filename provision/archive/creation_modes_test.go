package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// restrictiveDefaultACL is a system.posix_acl_default value (version 2,
// then tag, permissions and ID per entry) of u::rwx g::--- o::---: files
// created below get no group or other bits, whatever open asks for.
func restrictiveDefaultACL() []byte {
	const undefinedID = 0xffffffff
	b := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range []struct{ tag, perm uint16 }{{0x01, 7}, {0x04, 0}, {0x20, 0}} {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, undefinedID)
	}
	return b
}

// TestCreatedModesAreExact unpacks files of every kind of mode where the
// fchmod after creating a file is left out (an empty destination, umask
// 022 and 077) and where it must not be (a destination with a default ACL,
// one holding a folder with a default ACL), and wants each file's mode as
// its entry gives it. It also checks the fchmod is left out where it can
// be, so that the first cases test something.
func TestCreatedModesAreExact(t *testing.T) {
	needRoot(t)
	modes := []int64{0o644, 0o600, 0o755, 0o664, 0o777, 0o640, 0o4755, 0o2755, 0o1644, 0o000}
	b := newTar(t).dir("usr/").dir("usr/lib/")
	for _, m := range modes {
		b.file(filepath.Join("usr/lib", modeName(m)), "x", withMode(m))
		b.file(modeName(m), "x", withMode(m))
	}
	data := b.bytes()

	acl := restrictiveDefaultACL()
	cases := []struct {
		name      string
		umask     int
		prepare   func(t *testing.T, dest string)
		skipChmod bool
	}{
		{"empty destination, umask 022", 0o022, nil, true},
		{"empty destination, umask 077", 0o077, nil, true},
		{"destination with a default ACL", 0o022, func(t *testing.T, dest string) {
			setDefaultACL(t, dest, acl)
		}, false},
		{"destination holding a folder with a default ACL", 0o022, func(t *testing.T, dest string) {
			if err := os.Mkdir(filepath.Join(dest, "usr"), 0o755); err != nil {
				t.Fatal(err)
			}
			setDefaultACL(t, filepath.Join(dest, "usr"), acl)
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			if c.prepare != nil {
				c.prepare(t, dest)
			}
			// The umask is the process's: no parallel test runs while a
			// sequential one does.
			old := unix.Umask(c.umask)
			defer unix.Umask(old)

			root, err := os.OpenRoot(dest)
			if err != nil {
				t.Fatal(err)
			}
			created := readCreationModes(root)
			root.Close()
			if got := created.exact(0o600); got != c.skipChmod {
				t.Errorf("fchmod of a 0600 file left out: %v, want %v (%+v)", got, c.skipChmod, created)
			}

			if _, err := extractBytes(t, data, dest, ExtractOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, m := range modes {
				for _, name := range []string{modeName(m), filepath.Join("usr/lib", modeName(m))} {
					st, err := os.Lstat(filepath.Join(dest, name))
					if err != nil {
						t.Fatal(err)
					}
					if got := unixMode(st); got != uint32(m) {
						t.Errorf("%s: mode %#o, want %#o", name, got, m)
					}
				}
			}
		})
	}
}

func modeName(m int64) string { return fmt.Sprintf("mode-%04o", m) }

// unixMode is a file's permission bits with setuid, setgid and sticky as
// the kernel has them.
func unixMode(st os.FileInfo) uint32 {
	return st.Sys().(*syscall.Stat_t).Mode & 0o7777
}

func setDefaultACL(t *testing.T, dir string, acl []byte) {
	t.Helper()
	if err := unix.Setxattr(dir, "system.posix_acl_default", acl, 0); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			t.Skipf("the filesystem of %s has no POSIX ACLs: cannot test a default ACL here", dir)
		}
		t.Fatalf("set a default ACL on %s: %v", dir, err)
	}
}
