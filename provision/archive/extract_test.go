package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func lstat(t testing.TB, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat %s: %v", p, err)
	}
	return st
}

func getXattr(t testing.TB, p, name string) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n])
}

func TestExtractEveryEntryType(t *testing.T) {
	needRoot(t)
	t1 := time.Date(1999, 12, 31, 23, 59, 58, 123456789, time.UTC)
	t2 := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	t3 := time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC)
	data := newTar(t).
		dir("d/", withMode(0o1777), withOwner(10, 20), withMtime(t1), withXattr("user.dir", "folder")).
		dir("ro/", withMode(0o555), withMtime(t3)).
		file("ro/inside", "written into a read-only folder", withMode(0o444)).
		file("d/suid", "#!/bin/true\n", withMode(0o4755), withOwner(1000, 1001), withMtime(t2),
			withXattr("user.test", "hello"), withXattr("security.capability", capV2(1<<13))).
		file("d/sgid", "g", withMode(0o2711), withOwner(0, 50)).
		file("d/sticky", "s", withMode(0o1644)).
		symlink("d/link", "/etc/nowhere", withOwner(5, 6), withMtime(t2)).
		symlink("d/rel", "../ro/inside").
		hardlink("d/hard", "d/suid").
		device(tar.TypeChar, "dev/null", 1, 3, withMode(0o666), withMtime(t3)).
		device(tar.TypeBlock, "dev/sda1", 8, 1, withMode(0o660), withOwner(0, 6)).
		device(tar.TypeFifo, "run/fifo", 0, 0, withMode(0o600), withOwner(7, 8)).
		bytes()
	dest := t.TempDir()
	stats, err := extractBytes(t, data, dest, ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Files: 4, Dirs: 2, Symlinks: 2, Hardlinks: 1, Devices: 2, FIFOs: 1,
		Bytes: int64(len("written into a read-only folder") + len("#!/bin/true\n") + 2)}
	if stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}

	check := func(name string, kind, perm uint32, uid, gid uint32, mt time.Time) unix.Stat_t {
		t.Helper()
		st := lstat(t, filepath.Join(dest, name))
		if st.Mode&unix.S_IFMT != kind {
			t.Errorf("%s: type %o, want %o", name, st.Mode&unix.S_IFMT, kind)
		}
		if kind != unix.S_IFLNK && st.Mode&0o7777 != perm {
			t.Errorf("%s: mode %#o, want %#o", name, st.Mode&0o7777, perm)
		}
		if st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", name, st.Uid, st.Gid, uid, gid)
		}
		if !mt.IsZero() && (st.Mtim.Sec != mt.Unix() || st.Mtim.Nsec != int64(mt.Nanosecond())) {
			t.Errorf("%s: mtime %v, want %v", name, time.Unix(st.Mtim.Sec, st.Mtim.Nsec).UTC(), mt)
		}
		return st
	}
	def := time.Unix(1_000_000_000, 0)
	check("d", unix.S_IFDIR, 0o1777, 10, 20, t1)
	check("ro", unix.S_IFDIR, 0o555, 0, 0, t3)
	check("ro/inside", unix.S_IFREG, 0o444, 0, 0, def)
	suid := check("d/suid", unix.S_IFREG, 0o4755, 1000, 1001, t2)
	check("d/sgid", unix.S_IFREG, 0o2711, 0, 50, def)
	check("d/sticky", unix.S_IFREG, 0o1644, 0, 0, def)
	check("d/link", unix.S_IFLNK, 0, 5, 6, t2)
	hard := check("d/hard", unix.S_IFREG, 0o4755, 1000, 1001, t2)
	null := check("dev/null", unix.S_IFCHR, 0o666, 0, 0, t3)
	sda := check("dev/sda1", unix.S_IFBLK, 0o660, 0, 6, def)
	check("run/fifo", unix.S_IFIFO, 0o600, 7, 8, def)

	if hard.Ino != suid.Ino || suid.Nlink != 2 {
		t.Errorf("hardlink: inode %d vs %d, nlink %d", hard.Ino, suid.Ino, suid.Nlink)
	}
	if unix.Major(null.Rdev) != 1 || unix.Minor(null.Rdev) != 3 || unix.Major(sda.Rdev) != 8 || unix.Minor(sda.Rdev) != 1 {
		t.Errorf("device numbers: null %d:%d sda1 %d:%d", unix.Major(null.Rdev), unix.Minor(null.Rdev), unix.Major(sda.Rdev), unix.Minor(sda.Rdev))
	}
	for name, want := range map[string]string{"d/link": "/etc/nowhere", "d/rel": "../ro/inside"} {
		if got, err := os.Readlink(filepath.Join(dest, name)); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want %q", name, got, err, want)
		}
	}
	if got := getXattr(t, filepath.Join(dest, "d/suid"), "user.test"); got != "hello" {
		t.Errorf("user.test = %q", got)
	}
	if got := getXattr(t, filepath.Join(dest, "d/suid"), "security.capability"); got != capV2(1<<13) {
		t.Errorf("security.capability = %x, want %x", got, capV2(1<<13))
	}
	if got := getXattr(t, filepath.Join(dest, "d"), "user.dir"); got != "folder" {
		t.Errorf("dir xattr user.dir = %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "ro/inside")); string(b) != "written into a read-only folder" {
		t.Errorf("ro/inside content %q", b)
	}
}

func TestExtractLaterEntriesReplaceEarlier(t *testing.T) {
	needRoot(t)
	data := newTar(t).
		dir("a/", withMode(0o700), withOwner(1, 1)).
		file("a/f", "first").
		file("a/f", "second", withMode(0o600)).
		symlink("a/s", "f").
		file("a/s", "file now").
		file("a/x", "x").
		symlink("a/x", "/somewhere").
		dir("a/", withMode(0o750), withOwner(2, 3)). // metadata update only
		file("empty", "").
		dir("empty/").
		bytes()
	dest := t.TempDir()
	if _, err := extractBytes(t, data, dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "a/f")); string(b) != "second" {
		t.Errorf("a/f = %q, want second", b)
	}
	if st := lstat(t, filepath.Join(dest, "a/s")); st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("a/s not replaced by a file")
	}
	if l, _ := os.Readlink(filepath.Join(dest, "a/x")); l != "/somewhere" {
		t.Errorf("a/x -> %q", l)
	}
	if st := lstat(t, filepath.Join(dest, "a")); st.Mode&0o7777 != 0o750 || st.Uid != 2 || st.Gid != 3 {
		t.Errorf("a: mode %#o owner %d:%d, want 0750 2:3", st.Mode&0o7777, st.Uid, st.Gid)
	}
	if st := lstat(t, filepath.Join(dest, "empty")); st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("empty: file not replaced by folder")
	}

	// A file over a non-empty folder is refused, as GNU tar refuses it.
	data = newTar(t).dir("full/").file("full/x", "x").file("full", "no").bytes()
	_, err := extractBytes(t, data, t.TempDir(), ExtractOptions{})
	if !errors.Is(err, ErrDirNotEmpty) {
		t.Errorf("file over non-empty folder: err = %v, want ErrDirNotEmpty", err)
	}
}

func TestExtractProgressAndCancel(t *testing.T) {
	needRoot(t)
	big := string(make([]byte, 3*copyBufferSize+17))
	data := newTar(t).file("a", big).file("b", "xyz").bytes()
	var calls int
	var last int64
	stats, err := extractBytes(t, data, t.TempDir(), ExtractOptions{Progress: func(n int64) {
		if n < last {
			t.Errorf("progress went back: %d after %d", n, last)
		}
		calls, last = calls+1, n
	}})
	if err != nil {
		t.Fatal(err)
	}
	if last != stats.Bytes || last != int64(len(big)+3) || calls < 4 {
		t.Errorf("progress: last %d, calls %d, stats %d", last, calls, stats.Bytes)
	}

	ctx, cancel := contextWithCancel()
	cancel()
	if _, err := Extract(ctx, bytesReader(data), t.TempDir(), ExtractOptions{}); !errors.Is(err, errCanceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// TestExtractRevisitsEvictedFolders writes members into more folders than
// the folder cache keeps open, then into the first folders again, and
// through a symlink to one of them: each lands where it belongs.
func TestExtractRevisitsEvictedFolders(t *testing.T) {
	needRoot(t)
	b := newTar(t)
	n := 2*maxOpenDirs + 10
	for i := range n {
		b.file(fmt.Sprintf("a/d%03d/x/first", i), "1")
	}
	b.symlink("link", "/a/d000/x")
	for i := range n {
		b.file(fmt.Sprintf("a/d%03d/x/second", i), "2")
	}
	b.file("link/third", "3")
	dest := t.TempDir()
	if _, err := extractBytes(t, b.bytes(), dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for name, want := range map[string]string{"first": "1", "second": "2"} {
			p := filepath.Join(dest, fmt.Sprintf("a/d%03d/x", i), name)
			if got, err := os.ReadFile(p); err != nil || string(got) != want {
				t.Fatalf("%s: %q, %v", p, got, err)
			}
		}
	}
	if got, err := os.ReadFile(filepath.Join(dest, "a/d000/x/third")); err != nil || string(got) != "3" {
		t.Errorf("a/d000/x/third through the symlink: %q, %v", got, err)
	}
}

// TestCleanEntryNameAsPathClean: dropping leading "./" before path.Clean
// (to save a copy) cleans every name as path.Clean alone does.
func TestCleanEntryNameAsPathClean(t *testing.T) {
	for _, name := range []string{"./etc/hostname", ".//etc", "./", ".", "/", "//././/x", "./../x", "././a/./b/", "a/../../b",
		"./a/..", "/./etc/./passwd", "..", "./.", ".x", "./.x/y", "./..x", "usr//lib/", "./usr/lib/../bin"} {
		want := path.Clean(strings.TrimLeft(name, "/"))
		got := path.Clean(trimLeadingDots(name))
		if got != want {
			t.Errorf("%q: cleaned to %q, path.Clean alone gives %q", name, got, want)
		}
	}
}
