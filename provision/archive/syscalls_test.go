package archive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// extractHelperEnv makes the test binary a plain extractor (TestMain): the
// syscall test runs Extract in a process of its own under strace. Its
// value is "ARCHIVE|DEST" (test folders hold no "|").
const extractHelperEnv = "THUNDER_LXC_EXTRACT_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(extractHelperEnv); spec != "" {
		src, dest, _ := strings.Cut(spec, "|")
		f, err := os.Open(src)
		if err == nil {
			_, err = Extract(context.Background(), f, dest, ExtractOptions{})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syscallArchive is a fixed rootfs-like archive: nested folders, files, a
// folder listed after its members, relative and absolute symlinks,
// hardlinks, a device and a FIFO.
func syscallArchive(t *testing.T) []byte {
	b := newTar(t).dir("./").dir("usr/")
	for top := range 6 {
		b.dir(fmt.Sprintf("usr/lib%d/", top))
		for sub := range 8 {
			dir := fmt.Sprintf("usr/lib%d/pkg%d", top, sub)
			b.dir(dir + "/")
			for f := range 12 {
				b.file(fmt.Sprintf("%s/file%02d", dir, f), strings.Repeat("x", 100*f))
			}
			b.symlink(dir+"/rel", "file00").symlink(dir+"/abs", "/"+dir+"/file01")
			b.hardlink(dir+"/hard", dir+"/file02")
		}
	}
	// Members before their folder's entry, as some archivers write them.
	b.file("etc/late/a", "a").file("etc/late/b", "b").dir("etc/late/").dir("etc/")
	b.dir("dev/").device('3', "dev/null", 1, 3).dir("run/").device('6', "run/fifo", 0, 0)
	return b.bytes()
}

// TestExtractOpensNoMoreThanGNUTar counts the open calls of unpacking a
// fixed archive, Extract's against GNU tar's, each in a process of its
// own under strace -f -c: Extract may make at most 5% more (it makes
// fewer: one per file and one per folder, where GNU tar also opens a
// placeholder per symlink and each folder again to set its metadata).
func TestExtractOpensNoMoreThanGNUTar(t *testing.T) {
	needRoot(t)
	needTools(t, "strace", "tar", "bsdtar")
	tmp := t.TempDir()
	archive := filepath.Join(tmp, "fixed.tar")
	if err := os.WriteFile(archive, syscallArchive(t), 0o644); err != nil {
		t.Fatal(err)
	}
	gnuDest, oursDest := filepath.Join(tmp, "gnu"), filepath.Join(tmp, "ours")
	for _, d := range []string{gnuDest, oursDest} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gnuOpens := countOpens(t, exec.Command("tar", append(append([]string{}, gnuTarFlags...), "-xpf", archive, "-C", gnuDest)...))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), extractHelperEnv+"="+archive+"|"+oursDest)
	oursOpens := countOpens(t, cmd)
	t.Logf("open calls: Extract %d, GNU tar %d", oursOpens, gnuOpens)
	if gnuOpens < 500 {
		t.Fatalf("GNU tar made %d open calls: the count did not see its work", gnuOpens)
	}
	if float64(oursOpens) > 1.05*float64(gnuOpens) {
		t.Errorf("Extract made %d open calls, GNU tar %d: more than 5%% above", oursOpens, gnuOpens)
	}
	sameTree(t, "mtree of GNU tar's and Extract's trees", mtree(t, gnuDest), mtree(t, oursDest), 600)
}

// countOpens runs cmd under strace -f -c and returns its open, openat and
// openat2 calls (a process's start-up included: Go's runtime and the C
// library each open a few files).
func countOpens(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	summary := filepath.Join(t.TempDir(), "strace.txt")
	cmd.Args = append([]string{"strace", "-f", "-c", "-o", summary, "-e", "trace=open,openat,openat2", "--"}, cmd.Args...)
	cmd.Path = "strace"
	if p, err := exec.LookPath("strace"); err == nil {
		cmd.Path = p
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	// Rows: % time, seconds, usecs/call, calls, [errors,] syscall.
	opens := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		switch f[len(f)-1] {
		case "open", "openat", "openat2":
			n, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("strace summary row %q: %v", line, err)
			}
			opens += n
		}
	}
	return opens
}
