package fakeroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// stat in batches says what lstat says, for every kind of file, in the
// order asked, however many runs the names take.
func TestStatSaysWhatLstatSays(t *testing.T) {
	s := testSession(t, KindPseudo)
	dir := t.TempDir()
	names := []string{"."}
	add := func(name string, create func(p string) error) {
		if err := create(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	add("dir", func(p string) error { return os.Mkdir(p, 0o2750) })
	add("setuid", func(p string) error {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return err
		}
		return os.Chmod(p, 0o4755|os.ModeSetuid)
	})
	add("sticky", func(p string) error {
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		return os.Chmod(p, 0o1777|os.ModeSticky)
	})
	add("link", func(p string) error { return os.Symlink("missing", p) })
	add("null", func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) })
	add("disk", func(p string) error { return unix.Mknod(p, unix.S_IFBLK|0o660, int(unix.Mkdev(259, 70000))) })
	add("fifo", func(p string) error { return unix.Mkfifo(p, 0o600) })
	add("owned", func(p string) error {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			return err
		}
		return os.Lchown(p, 1234, 5678)
	})
	for i := 0; i < 40; i++ {
		add(fmt.Sprintf("file %02d", i), func(p string) error { return os.WriteFile(p, nil, 0o640) })
	}
	defer func(old int) { batchBytes = old }(batchBytes)
	batchBytes = 64 // a few names a run
	metas, err := s.Stat(context.Background(), dir, names)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		want := Meta{UID: int(st.Uid), GID: int(st.Gid), Mode: info.Mode(), Rdev: st.Rdev}
		if info.Mode()&os.ModeDevice == 0 {
			want.Rdev = 0
		}
		got := metas[i]
		got.raw = 0
		if got != want {
			t.Errorf("%s: stat in the session says %+v, lstat %+v", name, got, want)
		}
	}
}
