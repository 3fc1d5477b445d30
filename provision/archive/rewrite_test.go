package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rewriteBytes runs Rewrite over data and returns the new stream.
func rewriteBytes(t *testing.T, data []byte, opts RewriteOptions) ([]byte, Stats, error) {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	stats, err := Rewrite(context.Background(), bytes.NewReader(data), tw, opts)
	if err == nil {
		err = tw.Close()
	}
	return out.Bytes(), stats, err
}

// headers lists the entries of a tar stream.
func headers(t *testing.T, data []byte) []*tar.Header {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestRewritePrefixesShiftsAndSkips(t *testing.T) {
	late := time.Unix(2_000_000_000, 0)
	data := newTar(t).
		dir("./", withOwner(0, 0)).
		dir("bin/").
		file("bin/busybox", "bb", withMode(0o4755), withXattr("security.capability", capV3(1<<13, 0))).
		hardlink("bin/sh", "bin/busybox").
		symlink("sbin/init", "/bin/busybox", withOwner(1000, 1000)).
		device(tar.TypeChar, "dev/null", 1, 3).
		dir("usr/share/Thunder/OCDM/Container/").
		file("usr/share/Thunder/OCDM/Container/config", "old").
		file("etc/late", "x", withMtime(late)).
		bytes()
	opts := RewriteOptions{
		ExtractOptions: ExtractOptions{
			ShiftUID: func(id int) (int, error) { return id + 100000, nil },
			ShiftGID: func(id int) (int, error) { return id + 100000, nil },
			Clamp:    time.Unix(1_500_000_000, 0),
		},
		Prefix: "/usr/share/Thunder/OCDM/Container/rootfs/",
		Skip:   func(name string) bool { return name == "usr/share/Thunder/OCDM/Container" },
	}
	out, stats, err := rewriteBytes(t, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != 2 || stats.Hardlinks != 1 || stats.Symlinks != 1 || stats.Devices != 1 || stats.Dirs != 2 {
		t.Errorf("stats %+v", stats)
	}
	want := map[string]string{
		"usr/share/Thunder/OCDM/Container/rootfs/":            "dir 100000:100000",
		"usr/share/Thunder/OCDM/Container/rootfs/bin/":        "dir 100000:100000",
		"usr/share/Thunder/OCDM/Container/rootfs/bin/busybox": "file 100000:100000",
		"usr/share/Thunder/OCDM/Container/rootfs/bin/sh":      "link usr/share/Thunder/OCDM/Container/rootfs/bin/busybox",
		"usr/share/Thunder/OCDM/Container/rootfs/sbin/init":   "symlink /bin/busybox 101000:101000",
		"usr/share/Thunder/OCDM/Container/rootfs/dev/null":    "char 100000:100000",
		"usr/share/Thunder/OCDM/Container/rootfs/etc/late":    "file 100000:100000",
	}
	got := map[string]string{}
	for _, h := range headers(t, out) {
		desc := ""
		switch h.Typeflag {
		case tar.TypeDir:
			desc = "dir"
		case tar.TypeReg:
			desc = "file"
		case tar.TypeLink:
			got[h.Name] = "link " + h.Linkname
			continue
		case tar.TypeSymlink:
			desc = "symlink " + h.Linkname
		case tar.TypeChar:
			desc = "char"
		}
		got[h.Name] = desc + " " + strconv.Itoa(h.Uid) + ":" + strconv.Itoa(h.Gid)
		if h.Name == "usr/share/Thunder/OCDM/Container/rootfs/bin/busybox" {
			if h.Mode != 0o4755 {
				t.Errorf("busybox mode %#o, want setuid kept", h.Mode)
			}
			if c := h.PAXRecords[paxXattrPrefix+capabilityXattr]; c != capV3(1<<13, 100000) {
				t.Errorf("capability rootid not shifted: %x", c)
			}
		}
		if strings.HasSuffix(h.Name, "etc/late") && !h.ModTime.Equal(opts.Clamp) {
			t.Errorf("etc/late mtime %v, want clamped to %v", h.ModTime, opts.Clamp)
		}
	}
	for name, desc := range want {
		if got[name] != desc {
			t.Errorf("%s: %q, want %q", name, got[name], desc)
		}
	}
	if len(got) != len(want) {
		t.Errorf("entries %v, want exactly %d (the old container left out)", got, len(want))
	}
}

// What Extract refuses, Rewrite refuses too: a rewritten stream never
// carries a name that leaves its root, whatever prefix it gets.
func TestRewriteRefusesBreakouts(t *testing.T) {
	for name, data := range map[string][]byte{
		"dot-dot name":     newTar(t).file("../evil", "x").bytes(),
		"dot-dot hardlink": newTar(t).hardlink("a", "../../etc/passwd").bytes(),
	} {
		_, _, err := rewriteBytes(t, data, RewriteOptions{Prefix: "p"})
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%s: err = %v, want ErrUnsafePath", name, err)
		}
	}
	data := newTar(t).dir("old/").file("old/f", "x").hardlink("new", "old/f").bytes()
	_, _, err := rewriteBytes(t, data, RewriteOptions{Skip: func(n string) bool { return n == "old" }})
	if !errors.Is(err, ErrHardlinkTarget) {
		t.Errorf("hardlink into a skipped folder: err = %v, want ErrHardlinkTarget", err)
	}
}

func TestRewriteRefusesTruncatedContent(t *testing.T) {
	data := newTar(t).file("big", strings.Repeat("x", 4096)).bytes()
	_, _, err := rewriteBytes(t, data[:512+1000], RewriteOptions{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want a truncated-content error", err)
	}
}

// A GNU tar archive rewritten with shifting and unpacked by GNU tar gives
// the tree Extract makes from the original with the same shifting.
func TestRewriteMatchesExtract(t *testing.T) {
	needRoot(t)
	needTools(t, "tar", "bsdtar", "setcap")
	tmp := t.TempDir()
	src, viaRewrite, viaExtract := filepath.Join(tmp, "src"), filepath.Join(tmp, "rewrite"), filepath.Join(tmp, "extract")
	for _, d := range []string{src, viaRewrite, viaExtract} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	buildRootfs(t, src)
	archive := filepath.Join(tmp, "rootfs.tar")
	gnuTar(t, "-cpf", archive, "-C", src, ".")
	shift := ExtractOptions{
		ShiftUID: func(id int) (int, error) { return id + 100000, nil },
		ShiftGID: func(id int) (int, error) { return id + 100000, nil },
	}
	in, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := rewriteBytes(t, in, RewriteOptions{ExtractOptions: shift})
	if err != nil {
		t.Fatal(err)
	}
	rewritten := filepath.Join(tmp, "rewritten.tar")
	if err := os.WriteFile(rewritten, out, 0o600); err != nil {
		t.Fatal(err)
	}
	gnuTar(t, "-xpf", rewritten, "-C", viaRewrite)
	if _, err := Extract(context.Background(), bytes.NewReader(in), viaExtract, shift); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "mtree of GNU tar's unpacking of the rewritten stream and Extract's shifted tree",
		mtree(t, viaExtract), mtree(t, viaRewrite), 60)
	sameTree(t, "xattrs and hardlinks", xattrsAndLinks(t, viaExtract), xattrsAndLinks(t, viaRewrite), 6)
}
