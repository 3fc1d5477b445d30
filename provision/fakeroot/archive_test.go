package fakeroot

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// archiveNames runs Archive on names and returns the entry names of the
// stream and wait's error.
func archiveNames(t *testing.T, s *Session, dir string, names Names) ([]string, error) {
	t.Helper()
	stream, wait, err := s.Archive(context.Background(), dir, names)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(stream)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, h.Name)
	}
	io.Copy(io.Discard, stream)
	stream.Close()
	return got, wait()
}

func list(names ...string) Names {
	return func(emit func(string) error) error {
		for _, n := range names {
			if err := emit(n); err != nil {
				return err
			}
		}
		return nil
	}
}

// Each name is archived alone, a name starting with "-" is a name, and
// names flow while tar runs: more than a pipe holds.
func TestArchiveTakesTheNamesAsGiven(t *testing.T) {
	s := testSession(t, KindPseudo)
	dir := t.TempDir()
	for _, p := range []string{"d/sub", "-v"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var many []string
	for i := 0; i < 3000; i++ {
		name := fmt.Sprintf("d/file-with-a-long-name-so-the-list-outgrows-a-pipe-%04d", i)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		many = append(many, name)
	}
	got, err := archiveNames(t, s, dir, list(append([]string{".", "d", "-v"}, many...)...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3+len(many) || got[0] != "./" || got[1] != "d/" || got[2] != "-v/" || got[3] != many[0] {
		t.Fatalf("archived %d entries starting %q, want the %d names given, folders without members", len(got), got[:4], 3+len(many))
	}
}

// A failed listing fails the archive, even when tar would have finished a
// stream from the names it got.
func TestArchiveFailsWithTheListing(t *testing.T) {
	s := testSession(t, KindPseudo)
	dir := t.TempDir()
	walkErr := errors.New("read source: permission denied")
	_, err := archiveNames(t, s, dir, func(emit func(string) error) error {
		if err := emit("."); err != nil {
			return err
		}
		return walkErr
	})
	if !errors.Is(err, walkErr) {
		t.Fatalf("wait: %v, want the listing's error", err)
	}
}

// A file tar cannot archive is named by its build-host path, with what to
// do; nothing else it said is lost.
func TestArchiveNamesTheFilesTarCannotRead(t *testing.T) {
	s := testSession(t, KindFakeroot)
	dir := t.TempDir()
	_, err := archiveNames(t, s, dir, list(".", "gone", "also gone"))
	var pe *ProgramError
	if !errors.As(err, &pe) {
		t.Fatalf("wait: %v, want a ProgramError", err)
	}
	msg := err.Error()
	want := fmt.Sprintf("tar in fakeroot: %s, %s: Cannot stat: No such file or directory", filepath.Join(dir, "gone"), filepath.Join(dir, "also gone"))
	if !strings.HasPrefix(msg, want) {
		t.Errorf("message %q, want it to start %q", msg, want)
	}
}

// What a program said that names no file is kept, and for GNU tar the
// remedies fit the complaint.
func TestProgramErrorWords(t *testing.T) {
	s := &Session{Kind: KindFakeroot, tar: "/usr/bin/tar"}
	exit := errors.New("exit status 2")
	for _, c := range []struct {
		program, stderr, want string
	}{
		{"/usr/bin/tar", "/usr/bin/tar: This does not look like a tar archive\n/usr/bin/tar: Exiting with failure status due to previous errors",
			"tar in fakeroot: exit status 2: This does not look like a tar archive"},
		{"/usr/bin/tar", "/usr/bin/tar: a/b: Cannot open: Permission denied\n/usr/bin/tar: c: Cannot open: Permission denied\n" +
			"/usr/bin/tar: d: Cannot open: Permission denied\n/usr/bin/tar: e: Cannot open: Permission denied",
			"tar in fakeroot: /t/a/b, /t/c, /t/d, 1 more: Cannot open: Permission denied (the build user cannot open it"},
		{"/usr/bin/tar", "/usr/bin/tar: x: Cannot write: No space left on device", "/t/x: Cannot write: No space left on device (free space"},
		{"mv", "mv: cannot move 'a' to 'b': Permission denied", "mv in fakeroot: exit status 2: mv: cannot move 'a' to 'b': Permission denied"},
	} {
		got := s.programError(c.program, "/t", exit, c.stderr).Error()
		if !strings.Contains(got, c.want) {
			t.Errorf("%s said %q:\ngot  %q\nwant %q", c.program, c.stderr, got, c.want)
		}
	}
}
