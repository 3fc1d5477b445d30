package archive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gnuTarFlags are the GNU tar flags whose result Extract must equal.
var gnuTarFlags = []string{"--numeric-owner", "--xattrs", "--xattrs-include=*"}

func gnuTar(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("tar", append(append([]string{}, gnuTarFlags...), args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestExtractMatchesGNUTar extracts one GNU tar archive of a rootfs-like
// tree, plain and compressed by each real compressor (xz both by the
// system's xz and in pure Go), with GNU tar and with OpenTarball +
// Extract, and compares the whole trees.
func TestExtractMatchesGNUTar(t *testing.T) {
	needRoot(t)
	needTools(t, "tar", "bsdtar", "setcap")
	tmp := t.TempDir()
	src, gnu := filepath.Join(tmp, "src"), filepath.Join(tmp, "gnu")
	for _, d := range []string{src, gnu} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	buildRootfs(t, src)
	archive := filepath.Join(tmp, "rootfs.tar")
	gnuTar(t, "-cpf", archive, "-C", src, ".")
	gnuTar(t, "-xpf", archive, "-C", gnu)
	wantTree, wantExtra := mtree(t, gnu), xattrsAndLinks(t, gnu)
	// The reference itself must hold the xattrs the tree was built with.
	sameTree(t, "xattrs of the source and GNU tar's tree", xattrsOnly(t, src), xattrsOnly(t, gnu), 5)

	type input struct {
		name, path string
		pureGo     bool
	}
	inputs := []input{{"tar", archive, false}}
	for _, c := range compressors {
		if _, err := exec.LookPath(c.args[0]); err != nil {
			t.Errorf("needs %s to make a %s input (make test-deps installs it)", c.args[0], c.ext)
			continue
		}
		p := compress(t, c.args, archive, filepath.Join(tmp, "rootfs"+c.ext))
		inputs = append(inputs, input{c.ext, p, false})
		if c.format == FormatXz {
			inputs = append(inputs, input{c.ext + " (pure Go)", p, true})
		}
	}
	for i, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			if in.pureGo {
				withoutSystemXZ(t)
			}
			ours := filepath.Join(tmp, fmt.Sprintf("ours-%d", i))
			if err := os.Mkdir(ours, 0o700); err != nil {
				t.Fatal(err)
			}
			r, _, err := OpenTarball(in.path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			stats, err := Extract(context.Background(), r, ours, ExtractOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// GNU tar archives a hardlinked device as a second device node.
			if stats.Hardlinks != 2 || stats.Devices != 3 || stats.FIFOs != 1 || stats.Bytes < 3<<20 {
				t.Errorf("stats %+v: hardlinks, devices, FIFO or content missing", stats)
			}
			sameTree(t, "mtree of GNU tar's and Extract's trees", wantTree, mtree(t, ours), 60)
			sameTree(t, "xattrs and hardlinks of GNU tar's and Extract's trees", wantExtra, xattrsAndLinks(t, ours), 6)
		})
	}
}

// TestCopyDirMatchesSource copies the rootfs-like tree with CopyDir and
// compares it with the source, nanosecond mtimes included.
func TestCopyDirMatchesSource(t *testing.T) {
	needRoot(t)
	needTools(t, "bsdtar", "setcap")
	tmp := t.TempDir()
	src, dest := filepath.Join(tmp, "src"), filepath.Join(tmp, "dest")
	for _, d := range []string{src, dest} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	buildRootfs(t, src)
	// CopyDir only reads the source: its own metadata is checked too.
	if _, err := CopyDir(context.Background(), src, dest, nil, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "mtree of source and copy", mtree(t, src), mtree(t, dest), 60)
	sameTree(t, "xattrs and hardlinks of source and copy", xattrsAndLinks(t, src), xattrsAndLinks(t, dest), 7)
}
