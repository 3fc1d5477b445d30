package lxc

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// mapRoot is an in-memory root filesystem (no symlinks) for the fuzz
// targets: the config reader reads it as it reads a target.
type mapRoot struct{ fsys fstest.MapFS }

func (m mapRoot) Name() string                           { return "fuzz" }
func (m mapRoot) Lstat(name string) (fs.FileInfo, error) { return fs.Stat(m.fsys, name) }
func (m mapRoot) Readlink(string) (string, error)        { return "", fs.ErrInvalid }
func (m mapRoot) ReadFile(name string) ([]byte, error)   { return m.fsys.ReadFile(name) }
func (m mapRoot) FS() fs.FS                              { return m.fsys }

var configSeeds = []string{
	"lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp\n",
	"  lxc.seccomp.profile=/x\r\n#lxc.seccomp.profile = /y\nlxc.cap.drop = mac_admin\nlxc.seccomp.profile = /z",
	"\tlxc.seccomp.profile\t=\t/a \t\nlxc.seccomp.profile.x = 1\nlxc.seccomp.profilex=1\n",
	"lxc.include = /usr/share/lxc/config/common.conf.d/\n",
	"lxc.include = /config\n",
	"lxc.idmap = u 0 100000 65536\nlxc.idmap =\nlxc.idmap = g 0 1 x\n",
	"lxc.rootfs.path\nlxc.uts.name = c\n\v lxc.seccomp.profile = /v\n",
	"lxc.include = /inc.conf\nlxc.include = \nlxc.include = /missing\n",
}

// FuzzCommentSeccomp: whatever common.conf holds, the patched file has no
// line the config reader reads as lxc.seccomp.profile, every other byte
// is kept, and patching again changes nothing.
func FuzzCommentSeccomp(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		out, n := CommentSeccomp(content)
		for i, line := range strings.Split(string(out), "\n") {
			if key, _, _, ok := splitLine(line); ok && key == seccompKey {
				t.Fatalf("line %d of the patched file is still active: %q", i+1, line)
			}
		}
		if got := bytes.ReplaceAll(out, []byte("# "), nil); len(out) != len(content)+2*n ||
			!bytes.Equal(bytes.ReplaceAll(content, []byte("# "), nil), got) {
			t.Fatalf("CommentSeccomp changed more than %d comment marks: %q → %q", n, content, out)
		}
		if again, m := CommentSeccomp(out); m != 0 || !bytes.Equal(again, out) {
			t.Fatalf("a second patch changed %d lines of %q", m, out)
		}
		cfg, err := ReadConfig(mapRoot{fstest.MapFS{"common.conf": {Data: out}}}, "/common.conf")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range cfg.All(seccompKey) {
			if l.File == "/common.conf" {
				t.Fatalf("the reader still sees %s of the patched file", l.Where())
			}
		}
	})
}

// FuzzReadConfig: any config, including itself or a second file any
// number of times, is read in bounded time without a panic; every line it
// returns is an lxc. key of a file that exists, and every problem names
// its file.
func FuzzReadConfig(f *testing.F) {
	for i, s := range configSeeds {
		f.Add([]byte(s), []byte(configSeeds[(i+1)%len(configSeeds)]))
	}
	f.Fuzz(func(t *testing.T, config, included []byte) {
		root := mapRoot{fstest.MapFS{
			"config":                 {Data: config},
			"inc.conf":               {Data: included},
			"d/a.conf":               {Data: included},
			"d/b.conf":               {Data: config},
			"d/sub":                  {Mode: fs.ModeDir},
			"usr/share/lxc/config/x": {Data: included},
		}}
		cfg, err := ReadConfig(root, "/config")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range cfg.Lines {
			if !strings.HasPrefix(l.Key, "lxc.") || strings.ContainsAny(l.Key, "\n=") {
				t.Fatalf("line %+v is no key", l)
			}
			if _, err := root.Lstat(strings.TrimPrefix(l.File, "/")); err != nil {
				t.Fatalf("line %+v of a file that is not there", l)
			}
		}
		for _, p := range cfg.Problems {
			if p.File == "" || p.Message == "" {
				t.Fatalf("problem %+v names no file", p)
			}
		}
		if again, _ := ReadConfig(root, "/config"); len(again.Lines) != len(cfg.Lines) || len(again.Problems) != len(cfg.Problems) {
			t.Fatal("a second read differs")
		}
	})
}
