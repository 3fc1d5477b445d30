package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"golang.org/x/sys/unix"
)

// planted describes everything outside dest, to prove it is untouched.
type planted map[string]string

// snapshotOutside records type, mode, owner, size, content, link target and
// xattr names of every path under dir except dest.
func snapshotOutside(t *testing.T, dir, dest string) planted {
	t.Helper()
	snap := planted{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dest {
			return fs.SkipDir
		}
		st := lstat(t, p)
		desc := []string{strings.TrimPrefix(p, dir), fmtOct(st.Mode >> 12), fmtOct(st.Mode & 0o7777)}
		desc = append(desc, fmtOct(st.Uid), fmtOct(st.Gid), fmtOct(st.Nlink))
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			b, _ := os.ReadFile(p)
			desc = append(desc, string(b))
		}
		if l, err := os.Readlink(p); err == nil {
			desc = append(desc, "->"+l)
		}
		buf := make([]byte, 1024)
		n, _ := unix.Llistxattr(p, buf)
		desc = append(desc, "x:"+string(buf[:max(n, 0)]))
		snap[p] = strings.Join(desc, "|")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// unchanged fails the test when after differs from the snapshot.
func (before planted) unchanged(t testing.TB, after planted) {
	t.Helper()
	for p, d := range before {
		if after[p] != d {
			t.Errorf("outside changed: %s\nbefore %q\nafter  %q", p, d, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("created outside dest: %s", p)
		}
	}
}

func fmtOct[T ~uint32 | ~uint64](v T) string { return strconv.FormatUint(uint64(v), 8) }

// breakoutEnv is one case's world: tmp/outside/victim and tmp/victim are
// planted next to tmp/dest.
type breakoutEnv struct {
	tmp, dest, outside, victim string
}

// inDest asserts what a case that succeeds safely made: name (relative to
// dest) exists with the given type and, for files, content.
func (e breakoutEnv) inDest(t *testing.T, name string, kind uint32, content string) {
	t.Helper()
	p := filepath.Join(e.dest, name)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Errorf("expected %s inside dest: %v", name, err)
		return
	}
	if st.Mode&unix.S_IFMT != kind {
		t.Errorf("%s: type %o, want %o", name, st.Mode&unix.S_IFMT, kind)
	}
	if kind == unix.S_IFREG {
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Errorf("%s: content %q, want %q", name, b, content)
		}
	}
}

func TestExtractBreakouts(t *testing.T) {
	needRoot(t)
	// abs is the absolute path of something outside dest, as an archive
	// would name it; it must mean dest/<that path>.
	type tc struct {
		name    string
		archive func(e breakoutEnv) []byte
		wantErr error // nil: extraction succeeds (chroot-style) and check runs
		anyErr  bool  // an error is required but its kind is the reader's
		check   func(t *testing.T, e breakoutEnv)
	}
	cases := []tc{
		{name: "dotdot file", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).file("../outside/victim", "pwned").bytes() }},
		{name: "dotdot inside then out", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).file("a/b/../../../victim", "pwned").bytes() }},
		{name: "absolute with dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).file("/../../outside/victim", "pwned").bytes() }},
		{name: "deep dotdot chain", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte {
				return newTar(t).file(strings.Repeat("x/", 3)+strings.Repeat("../", 40)+"victim", "pwned").bytes()
			}},
		{name: "bare dotdot folder", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).dir("../", withMode(0o777)).bytes() }},
		{name: "dot as file", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).file(".", "x").bytes() }},
		{name: "dot as symlink", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).symlink(".", e.outside).bytes() }},
		{name: "name with NUL", anyErr: true,
			archive: func(e breakoutEnv) []byte {
				return rawPAX(map[string]string{"path": "ok\x00/../../victim"}, rawHeader("x", tar.TypeReg, 0))
			}},
		{name: "absolute name lands inside",
			archive: func(e breakoutEnv) []byte { return newTar(t).file(e.victim, "inside").bytes() },
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "inside")
			}},
		{name: "dot dir updates dest itself",
			archive: func(e breakoutEnv) []byte { return newTar(t).dir("./", withMode(0o751)).bytes() },
			check: func(t *testing.T, e breakoutEnv) {
				if st := lstat(t, e.dest); st.Mode&0o7777 != 0o751 {
					t.Errorf("dest mode %#o, want 0751", st.Mode&0o7777)
				}
			}},
		{name: "symlink to / then write through",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("r", "/").file("r"+e.victim, "through root").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "r", unix.S_IFLNK, "")
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "through root")
			}},
		{name: "symlink to ../.. then write",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("up", "../..").file("up/outside/victim", "clamped").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "outside/victim", unix.S_IFREG, "clamped") }},
		{name: "symlink to absolute outside folder then write",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("o", e.outside).file("o/victim", "rerooted").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "rerooted")
			}},
		{name: "symlink chain then write",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("a", "b").symlink("b", "../../outside").file("a/victim", "chain").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "outside/victim", unix.S_IFREG, "chain") }},
		{name: "deep dotdot symlink then write",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("a/b/c", strings.Repeat("../", 30)).file("a/b/c/outside/victim", "deep").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "outside/victim", unix.S_IFREG, "deep") }},
		{name: "existing symlink at file name is replaced",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("f", e.victim).file("f", "replaced").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "f", unix.S_IFREG, "replaced") }},
		{name: "relative symlink out replaced by file",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("f", "../outside/victim").file("f", "replaced").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "f", unix.S_IFREG, "replaced") }},
		{name: "symlink replaced by folder",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("d", e.outside).dir("d/", withMode(0o777)).file("d/victim", "in folder").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "d", unix.S_IFDIR, "")
				e.inDest(t, "d/victim", unix.S_IFREG, "in folder")
			}},
		{name: "symlink replaced by symlink then write",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("x", e.outside).symlink("x", "inside").dir("inside/").file("x/victim", "second link").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "inside/victim", unix.S_IFREG, "second link") }},
		{name: "device through absolute symlink",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("dv", e.outside).device(tar.TypeChar, "dv/null", 1, 3).bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, strings.TrimPrefix(e.outside, "/")+"/null", unix.S_IFCHR, "")
			}},
		{name: "fifo up and out", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).device(tar.TypeFifo, "../outside/fifo", 0, 0).bytes() }},
		{name: "symlink loop", anyErr: true,
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("l1", "l2").symlink("l2", "l1").file("l1/x", "loop").bytes()
			}},
		{name: "hardlink to ../outside", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", "../outside/victim").bytes() }},
		{name: "hardlink to deep dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", "a/../../victim").bytes() }},
		{name: "hardlink to absolute outside file", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", e.victim).bytes() }},
		{name: "hardlink to /etc/passwd", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", "/etc/passwd").bytes() }},
		{name: "hardlink through symlinked folder", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("sd", e.outside).hardlink("h", "sd/victim").bytes()
			}},
		{name: "hardlink through relative symlink stays inside",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).file("outside/victim", "inner").symlink("sd", "../../outside").hardlink("h", "sd/victim").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				a, b := lstat(t, filepath.Join(e.dest, "h")), lstat(t, filepath.Join(e.dest, "outside/victim"))
				if a.Ino != b.Ino {
					t.Errorf("h is not outside/victim of dest")
				}
			}},
		{name: "hardlink to symlink links the symlink",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("s", e.victim).hardlink("h", "s").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "h", unix.S_IFLNK, "") }},
		{name: "hardlink to symlink then overwrite",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("s", e.victim).hardlink("h", "s").file("h", "over").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "h", unix.S_IFREG, "over")
				e.inDest(t, "s", unix.S_IFLNK, "")
			}},
		{name: "folder entry over symlink to outside",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("etc", e.outside).dir("etc/", withMode(0o777), withOwner(99, 99)).bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				if st := lstat(t, filepath.Join(e.dest, "etc")); st.Mode&0o7777 != 0o777 || st.Uid != 99 {
					t.Errorf("dest/etc mode %#o uid %d", st.Mode&0o7777, st.Uid)
				}
			}},
		{name: "xattr on symlink to outside file",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("s", e.victim, withXattr("trusted.mark", "x")).bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				if got := getXattr(t, filepath.Join(e.dest, "s"), "trusted.mark"); got != "x" {
					t.Errorf("xattr on symlink itself = %q", got)
				}
			}},
		{name: "chmod and chown via symlink metadata",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("s", e.victim, withOwner(4242, 4242), withMode(0o7777)).bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				if st := lstat(t, filepath.Join(e.dest, "s")); st.Uid != 4242 {
					t.Errorf("symlink owner %d, want 4242", st.Uid)
				}
			}},
		{name: "file under a file", anyErr: true,
			archive: func(e breakoutEnv) []byte { return newTar(t).file("f", "x").file("f/victim", "y").bytes() }},
		{name: "symlink made through an absolute symlink then written through",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("x", "/").symlink("x/y", e.outside).file("y/victim", "twice").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "y", unix.S_IFLNK, "")
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "twice")
			}},
		{name: "symlink with dotdot in its target's middle", archive: func(e breakoutEnv) []byte {
			return newTar(t).symlink("a", "b/../../../outside").file("a/victim", "middle").bytes()
		},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "outside/victim", unix.S_IFREG, "middle") }},
		{name: "symlink named with a trailing slash", archive: func(e breakoutEnv) []byte {
			return newTar(t).symlink("l/", e.outside).file("l/victim", "slash").bytes()
		},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "slash")
			}},
		{name: "empty folder replaced by symlink out then written through", archive: func(e breakoutEnv) []byte {
			return newTar(t).dir("d/").symlink("d", e.outside).file("d/victim", "after swap").bytes()
		},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "d", unix.S_IFLNK, "")
				e.inDest(t, strings.TrimPrefix(e.victim, "/"), unix.S_IFREG, "after swap")
			}},
		{name: "non-empty folder not replaced by symlink", wantErr: ErrDirNotEmpty,
			archive: func(e breakoutEnv) []byte {
				return newTar(t).dir("d/").file("d/f", "x").symlink("d", e.outside).file("d/victim", "y").bytes()
			}},
		{name: "file over symlink to host /etc/passwd", archive: func(e breakoutEnv) []byte {
			return newTar(t).symlink("passwd", "/etc/passwd").file("passwd", "not the host's").bytes()
		},
			check: func(t *testing.T, e breakoutEnv) { e.inDest(t, "passwd", unix.S_IFREG, "not the host's") }},
		{name: "fifo through symlink to outside", archive: func(e breakoutEnv) []byte {
			return newTar(t).symlink("f", e.outside).device(tar.TypeFifo, "f/fifo", 0, 0).bytes()
		},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, strings.TrimPrefix(e.outside, "/")+"/fifo", unix.S_IFIFO, "")
			}},
		{name: "hardlink to dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", "..").bytes() }},
		{name: "hardlink to the destination itself", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", ".").bytes() }},
		{name: "hardlink to a folder inside", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte { return newTar(t).dir("d/").hardlink("h", "d").bytes() }},
		{name: "hardlink before its target", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte { return newTar(t).hardlink("h", "later").file("later", "x").bytes() }},
		{name: "hardlink through relative symlink up and out", wantErr: ErrHardlinkTarget,
			archive: func(e breakoutEnv) []byte {
				return newTar(t).symlink("s", "../outside").hardlink("h", "s/victim").bytes()
			}},
		{name: "absolute hardlink means the destination's file",
			archive: func(e breakoutEnv) []byte {
				return newTar(t).file("etc/passwd", "inner").hardlink("h", "/etc/passwd").bytes()
			},
			check: func(t *testing.T, e breakoutEnv) {
				if a, b := lstat(t, filepath.Join(e.dest, "h")), lstat(t, filepath.Join(e.dest, "etc/passwd")); a.Ino != b.Ino {
					t.Errorf("h is not dest/etc/passwd")
				}
			}},
		{name: "PAX path record with dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte {
				return rawPAX(map[string]string{"path": "../outside/victim"}, rawHeader("harmless", tar.TypeReg, 0))
			}},
		{name: "PAX linkpath record with dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte {
				return rawPAX(map[string]string{"linkpath": "../outside/victim"}, rawHeader("h", tar.TypeLink, 0))
			}},
		{name: "GNU long name with dotdot", wantErr: ErrUnsafePath,
			archive: func(e breakoutEnv) []byte {
				long := strings.Repeat("a/", 60) + strings.Repeat("../", 61) + "victim"
				return newTar(t).file(long, "pwned", withFormat(tar.FormatGNU)).bytes()
			}},
		{name: "global PAX header path is not a member",
			archive: func(e breakoutEnv) []byte {
				var b bytes.Buffer
				tw := tar.NewWriter(&b)
				if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"path": "../victim"}}); err != nil {
					t.Fatal(err)
				}
				tw.Flush()
				return append(b.Bytes(), newTar(t).file("a", "member").bytes()...)
			},
			check: func(t *testing.T, e breakoutEnv) {
				e.inDest(t, "a", unix.S_IFREG, "member")
			}},
		{name: "backslashes are part of a name",
			archive: func(e breakoutEnv) []byte { return newTar(t).file(`..\..\victim`, "plain name").bytes() },
			check:   func(t *testing.T, e breakoutEnv) { e.inDest(t, `..\..\victim`, unix.S_IFREG, "plain name") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			e := breakoutEnv{tmp: tmp, dest: filepath.Join(tmp, "dest"), outside: filepath.Join(tmp, "outside")}
			e.victim = filepath.Join(e.outside, "victim")
			for _, d := range []string{e.dest, e.outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(e.victim, []byte("secret"), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, "victim"), []byte("top secret"), 0o600); err != nil {
				t.Fatal(err)
			}
			var passwd unix.Stat_t
			if err := unix.Stat("/etc/passwd", &passwd); err != nil {
				t.Fatal(err)
			}
			before := snapshotOutside(t, tmp, e.dest)

			_, err := extractBytes(t, c.archive(e), e.dest, ExtractOptions{})
			switch {
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) {
					t.Errorf("err = %v, want %v", err, c.wantErr)
				}
			case c.anyErr:
				if err == nil {
					t.Errorf("extraction succeeded, want an error")
				}
			default:
				if err != nil {
					t.Fatalf("extraction failed: %v", err)
				}
				c.check(t, e)
			}
			if err != nil && !strings.Contains(err.Error(), "tar ") {
				t.Errorf("error does not name the tar entry or offset: %v", err)
			}

			before.unchanged(t, snapshotOutside(t, tmp, e.dest))
			var now unix.Stat_t
			if err := unix.Stat("/etc/passwd", &now); err != nil || now.Nlink != passwd.Nlink || now.Mtim != passwd.Mtim {
				t.Errorf("host /etc/passwd changed")
			}
		})
	}
	if len(cases) < 40 {
		t.Fatalf("only %d breakout cases", len(cases))
	}
	tally.Add(tally.HostileArchive, len(cases))
}
