package fakeroot

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// testSession is a session of the given kind for tests that run as root
// outside any session: the programs do for real what a session fakes, so
// the results can be checked with the system calls.
func testSession(t *testing.T, kind string) *Session {
	t.Helper()
	treetest.NeedRoot(t)
	tarPath := treetest.NeedTool(t, "tar", "tar")
	treetest.NeedTool(t, "setfattr", "attr")
	return &Session{Kind: kind, tar: tarPath}
}

// capV2 is a version 2 security.capability value granting cap_net_raw.
var capV2 = string([]byte{0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

// oddNames are file names setfattr's dump format must carry through.
var oddNames = []string{"plain", "with blank", "with=equals", `back\slash`, "new\nline", "ünïcode", "-dash"}

// xattrStream is a tar stream of files with xattrs under odd names, a
// folder with one, a capability, and files their owner may not read.
func xattrStream(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(h *tar.Header, body string) {
		h.Format, h.Size = tar.FormatPAX, int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	write(&tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755, PAXRecords: map[string]string{"SCHILY.xattr.user.dir": "on a folder"}}, "")
	for _, n := range oddNames {
		write(&tar.Header{Typeflag: tar.TypeReg, Name: "d/" + n, Mode: 0o644, Uid: 1000, Gid: 1000,
			PAXRecords: map[string]string{"SCHILY.xattr.user.name": n, "SCHILY.xattr.user.binary": "\x00\xff="}}, n)
	}
	write(&tar.Header{Typeflag: tar.TypeReg, Name: "d/ping", Mode: 0o4755, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": capV2}}, "ping")
	write(&tar.Header{Typeflag: tar.TypeReg, Name: "d/secret", Mode: 0o000}, "secret")
	write(&tar.Header{Typeflag: tar.TypeReg, Name: "d/write-only", Mode: 0o200}, "w")
	write(&tar.Header{Typeflag: tar.TypeSymlink, Name: "d/link", Linkname: "plain"}, "")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func getxattr(t *testing.T, p, name string) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		t.Errorf("%s of %q: %v", name, p, err)
		return ""
	}
	return string(buf[:n])
}

// Both ways of setting xattrs give the same files: GNU tar's own (pseudo)
// and setfattr after tar (fakeroot), whose dump must quote odd names.
func TestExtractSetsXattrsEitherWay(t *testing.T) {
	for _, kind := range []string{KindPseudo, KindFakeroot} {
		t.Run(kind, func(t *testing.T) {
			s := testSession(t, kind)
			dir := t.TempDir()
			if err := s.Extract(context.Background(), dir, bytes.NewReader(xattrStream(t))); err != nil {
				t.Fatal(err)
			}
			if got := getxattr(t, filepath.Join(dir, "d"), "user.dir"); got != "on a folder" {
				t.Errorf("folder xattr %q", got)
			}
			for _, n := range oddNames {
				p := filepath.Join(dir, "d", n)
				if got := getxattr(t, p, "user.name"); got != n {
					t.Errorf("user.name of %q is %q", n, got)
				}
				if got := getxattr(t, p, "user.binary"); got != "\x00\xff=" {
					t.Errorf("user.binary of %q is %q", n, got)
				}
			}
			// Set after the owner and mode: the capability and setuid stay.
			ping := filepath.Join(dir, "d/ping")
			if got := getxattr(t, ping, "security.capability"); got != capV2 {
				t.Errorf("capability %x, want %x", got, capV2)
			}
			if info, err := os.Lstat(ping); err != nil || info.Mode()&os.ModeSetuid == 0 {
				t.Errorf("setuid lost: %v %v", info.Mode(), err)
			}
			for name, want := range map[string]os.FileMode{"d/secret": 0, "d/write-only": 0o200} {
				if info, err := os.Lstat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != want {
					t.Errorf("%s: mode %v (%v), want %v", name, info.Mode(), err, want)
				}
			}
		})
	}
}

// The names the fixes run on are checked to lie inside the folder: a
// symlink tar made must not lead chmod or setfattr out of it.
func TestFixupsStayInside(t *testing.T) {
	s := testSession(t, KindFakeroot)
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "f")
	if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "lnk")); err != nil {
		t.Fatal(err)
	}
	fix := &fixups{modes: map[int64][]string{0: {"lnk/f"}}}
	err := fix.apply(context.Background(), s, dir)
	if err == nil || !strings.Contains(err.Error(), "lnk/f") {
		t.Fatalf("apply through a symlink out of the folder: %v", err)
	}
	if info, _ := os.Stat(victim); info.Mode().Perm() != 0o644 {
		t.Errorf("the file outside was changed to %v", info.Mode())
	}
}

// A cut stream fails with its own error, not with tar's complaint about
// a short archive or a closed pipe.
func TestExtractReportsTheStreamsError(t *testing.T) {
	s := testSession(t, KindPseudo)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "big", Mode: 0o644, Size: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	tw.Write(make([]byte, 64<<10))
	tw.Close()
	// Cut inside the content: Go's reader takes a stream cut at a header
	// as a shorter one.
	err := s.Extract(context.Background(), t.TempDir(), bytes.NewReader(buf.Bytes()[:32<<10]))
	if err == nil || !strings.Contains(err.Error(), "read the tar stream") {
		t.Fatalf("cut stream: %v", err)
	}
}

func TestFirstCause(t *testing.T) {
	real := errors.New("shift uid 70000: out of range")
	closed := errors.Join(errors.New("write"), os.ErrClosed)
	exitPipe := exec.Command("sh", "-c", "kill -PIPE $$").Run()
	tarSaid := (&Session{Kind: KindFakeroot, tar: "tar"}).programError("tar", "/t", errors.New("exit status 2"), "tar: -: Cannot write: Broken pipe")
	if FirstCause(nil, closed, exitPipe, tarSaid, real) != real {
		t.Error("a pipe error was taken for the cause")
	}
	if FirstCause(exitPipe, nil) != exitPipe {
		t.Error("with pipe errors alone, the first one is the cause")
	}
	if FirstCause(nil, nil) != nil {
		t.Error("no error, no cause")
	}
}
