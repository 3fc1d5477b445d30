package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"golang.org/x/sys/unix"
)

// makeSparseFile makes a file of size bytes with data at its start, in
// its middle and a hole at its end.
func makeSparseFile(t *testing.T, name string, size int64) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range []int64{0, size / 2} {
		if _, err := f.WriteAt(bytes.Repeat([]byte("data"), 4096), off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if used := diskUsage(t, name); used > 1<<20 {
		t.Skipf("the test folder's filesystem does not keep holes (%d bytes used)", used)
	}
}

func diskUsage(t *testing.T, name string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(name, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// checkSparseCopy asserts the copy has the content of makeSparseFile's
// file and its holes.
func checkSparseCopy(t *testing.T, name string, size int64) {
	t.Helper()
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != size {
		t.Fatalf("size %d, want %d", info.Size(), size)
	}
	if used := diskUsage(t, name); used > 1<<20 {
		t.Errorf("the copy takes %d bytes of disk: its holes were filled", used)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := bytes.Repeat([]byte("data"), 4096)
	for _, off := range []int64{0, size / 2} {
		got := make([]byte, len(want)+8)
		if _, err := f.ReadAt(got, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:len(want)], want) || !bytes.Equal(got[len(want):], make([]byte, 8)) {
			t.Errorf("content at %d differs", off)
		}
	}
}

// Issue 11, item 8: a tarball holding a 4 GiB sparse file (GNU tar's
// three ways of storing one) unpacks into a file with its holes, not
// 4 GiB of disk.
func TestExtractKeepsHoles(t *testing.T) {
	needRoot(t)
	needTool(t, "tar")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 4 << 30 // the issue's
	makeSparseFile(t, filepath.Join(tree, "disk.img"), size)
	for _, format := range []struct{ name, flag string }{
		{"gnu", "--format=gnu"},
		{"pax-0.1", "--sparse-version=0.1"},
		{"pax-1.0", "--sparse-version=1.0"},
	} {
		t.Run(format.name, func(t *testing.T) {
			args := []string{"--sparse", format.flag}
			if format.name != "gnu" {
				args = append(args, "--format=posix")
			}
			tarball := makeTar(t, tree, filepath.Join(t.TempDir(), "sparse.tar"), args...)
			if info, _ := os.Stat(tarball); info.Size() > 1<<20 {
				t.Fatalf("GNU tar wrote a %d-byte tarball: not sparse", info.Size())
			}
			f, err := os.Open(tarball)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dest := filepath.Join(t.TempDir(), "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := Extract(context.Background(), f, dest, ExtractOptions{}); err != nil {
				t.Fatal(err)
			}
			checkSparseCopy(t, filepath.Join(dest, "disk.img"), size)
		})
	}
}

// A folder source's sparse file keeps its holes too; a file of zeros
// without holes stays as it is. (Smaller than the tarball's: a folder's
// holes are read as zeros and pass through the copy's tar stream.)
func TestCopyDirKeepsHoles(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	src, dest := filepath.Join(dir, "src"), filepath.Join(dir, "dest")
	for _, d := range []string{src, dest} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const size = 256 << 20
	makeSparseFile(t, filepath.Join(src, "disk.img"), size)
	if err := os.WriteFile(filepath.Join(src, "swapfile"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyDir(context.Background(), src, dest, nil, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	checkSparseCopy(t, filepath.Join(dest, "disk.img"), size)
	if used := diskUsage(t, filepath.Join(dest, "swapfile")); used < 1<<20 {
		t.Errorf("a file of zeros without holes became sparse (%d bytes used)", used)
	}
}

// The sparse writer leaves holes only for aligned zero blocks and writes
// everything else, whatever the chunks it is given.
func TestSparseWriterChunks(t *testing.T) {
	content := make([]byte, 5*holeBlock+100)
	copy(content[10:], "head")
	copy(content[2*holeBlock+holeBlock/2:], "middle")
	copy(content[5*holeBlock+50:], "tail")
	for _, chunk := range []int{1, 7, 512, holeBlock, holeBlock + 1, len(content)} {
		name := filepath.Join(t.TempDir(), "f")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w := &sparseWriter{fd: int(f.Fd())}
		for b := content; len(b) > 0; {
			n := min(chunk, len(b))
			if err := w.write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("chunks of %d: content differs", chunk)
		}
	}
}

// A few hundred bytes of tarball claiming a sparse file of 2^62 bytes (all
// hole) are refused at once, not read as zeros for years.
func TestSparseBombRefused(t *testing.T) {
	bomb := rawPAX(map[string]string{
		"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
		"GNU.sparse.name": "bomb", "GNU.sparse.realsize": "4611686018427387904",
	}, append(rawHeader("GNUSparseFile.0/bomb", tar.TypeReg, 512), append([]byte("0\n"), make([]byte, 510)...)...))
	tally.Add(tally.HostileArchive, 1)
	start := time.Now()
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bomb.tar")
			if err := os.WriteFile(path, bomb, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := r.read(t, path); !errors.Is(err, ErrSparseTooLarge) {
				t.Fatalf("err = %v, want ErrSparseTooLarge", err)
			}
		})
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing took %s", d)
	}
}
