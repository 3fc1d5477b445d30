package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func tarNames(t *testing.T, data []byte) map[string]*tar.Header {
	t.Helper()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func TestWriteTarSkipAndSockets(t *testing.T) {
	needRoot(t)
	src := t.TempDir()
	for _, d := range []string{"proc/1", "sys/kernel", "cache/x", "etc"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"proc/1/status", "cache/x/y", "etc/passwd", "etc/skip-me"} {
		if err := os.WriteFile(filepath.Join(src, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(src, "etc/socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var asked []string
	skip := func(rel string, info fs.FileInfo) SkipAction {
		asked = append(asked, rel)
		switch rel {
		case "proc", "sys":
			return KeepDirOnly
		case "cache", "etc/skip-me":
			return SkipEntry
		case "etc/passwd":
			return KeepDirOnly // means Keep for a file
		}
		return Keep
	}
	var buf bytes.Buffer
	if err := WriteTar(context.Background(), &buf, src, skip); err != nil {
		t.Fatal(err)
	}
	got := tarNames(t, buf.Bytes())
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"./", "etc/", "etc/passwd", "proc/", "sys/"}
	if len(names) != len(want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %q, want %q", names, want)
		}
	}
	for _, rel := range asked {
		if rel == "." || rel == "proc/1" || rel == "cache/x" {
			t.Errorf("skip asked for %q, which is the root or below a skipped folder", rel)
		}
	}
	if h := got["etc/passwd"]; h.Format != tar.FormatPAX && h.Format != tar.FormatUSTAR || h.Uname != "" || h.Gname != "" {
		t.Errorf("etc/passwd header: format %v uname %q gname %q, want numeric IDs only", h.Format, h.Uname, h.Gname)
	}
}

func TestCopyDirLeavesOutDestInsideSource(t *testing.T) {
	needRoot(t)
	src := t.TempDir()
	dest := filepath.Join(src, "usr/share/Thunder/OCDM/Container/rootfs")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "usr/file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	stats, err := CopyDir(context.Background(), src, dest, nil, ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "usr/file")); err != nil {
		t.Errorf("usr/file not copied: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "usr/share/Thunder/OCDM/Container/rootfs")); err == nil {
		t.Errorf("the destination was copied into itself")
	}
	if stats.Files != 1 {
		t.Errorf("stats %+v", stats)
	}
	if _, err := CopyDir(context.Background(), src, src, nil, ExtractOptions{}); err == nil {
		t.Errorf("copy into itself accepted")
	}
}

func TestCopyDirReportsExtractErrors(t *testing.T) {
	needRoot(t)
	src, dest := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := CopyDir(context.Background(), src, dest, nil, ExtractOptions{
		ShiftUID: func(int) (int, error) { return 0, fs.ErrInvalid },
	})
	if err == nil {
		t.Fatal("shift failure not reported")
	}
}
