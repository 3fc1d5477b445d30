package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzExtract unpacks arbitrary bytes into a temporary root: whatever
// they are, nothing outside the root is created, changed or followed,
// Extract ends (a damaged stream is an error, never a hang), and what it
// accepts Rewrite and NewIndex read too.
func FuzzExtract(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root: unpacks owners and devices")
	}
	for _, seed := range [][]byte{
		newTar(f).dir("etc/").file("etc/hostname", "box\n").symlink("bin/sh", "busybox").bytes(),
		newTar(f).symlink("r", "/").file("r/outside/victim", "through").bytes(),
		newTar(f).symlink("up", "../..").hardlink("h", "up/victim").bytes(),
		newTar(f).file("a", "x", withXattr("user.k", "v")).hardlink("b", "a").file("b", "y").bytes(),
		newTar(f).device(tar.TypeChar, "dev/null", 1, 3).device(tar.TypeFifo, "p", 0, 0).bytes(),
		newTar(f).dir("d/", withMode(0o7777), withOwner(5, 6), withMtime(time.Unix(1, 0))).bytes(),
		newTar(f).file("x", "content", withFormat(tar.FormatGNU)).bytes(),
		rawPAX(map[string]string{"path": "../victim"}, rawHeader("x", tar.TypeReg, 0)),
		rawPAX(map[string]string{"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.realsize": "9000"},
			rawHeader("s", tar.TypeReg, 0)),
	} {
		f.Add(seed)
	}
	// Mutated sizes soon claim huge sparse files, which take seconds each
	// (TestSparseBombRefused covers the limit itself).
	maxSparseSize = 16 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp := t.TempDir()
		dest := filepath.Join(tmp, "dest")
		outside := filepath.Join(tmp, "outside")
		for _, d := range []string{dest, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("secret"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshotOutside(t, tmp, dest)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := Extract(ctx, bytes.NewReader(data), dest, ExtractOptions{})
		if ctx.Err() != nil {
			t.Fatalf("Extract did not end in 20 s on %d bytes", len(data))
		}
		if before.unchanged(t, snapshotOutside(t, tmp, dest)); t.Failed() {
			return
		}
		if err != nil {
			return
		}
		if _, err := Rewrite(ctx, bytes.NewReader(data), discardEntries{}, RewriteOptions{}); err != nil {
			t.Fatalf("Extract accepted what Rewrite refuses: %v", err)
		}
	})
}
