package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

func indexOf(t *testing.T, data []byte, keep KeepRule) *Index {
	t.Helper()
	x, err := NewIndex(context.Background(), bytes.NewReader(data), "rootfs.tar", keep)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// The index answers what a folder of the same tree would: a target's
// absolute symlinks resolve inside it, folders list their members, kept
// files read, others refuse to.
func TestIndexIsARootFilesystem(t *testing.T) {
	elf := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 200)
	data := newTar(t).
		dir("./").
		file("etc/Thunder/config.json", `{"datapath":"/usr/share/Thunder"}`, withOwner(0, 0)).
		symlink("usr/share/lxc", "/opt/lxc").
		file("opt/lxc/config/common.conf", "lxc.seccomp.profile = x\n").
		file("bin/busybox", elf, withMode(0o4755), withOwner(0, 10)).
		hardlink("bin/sh", "bin/busybox").
		file("usr/lib/big.so", strings.Repeat("x", 1000)).
		bytes()
	x := indexOf(t, data, func(name string, size int64) bool {
		return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".conf")
	})

	resolved, err := inroot.Resolve(x, "/usr/share/lxc/config/common.conf", true)
	if err != nil || resolved != "opt/lxc/config/common.conf" {
		t.Fatalf("resolve through the absolute symlink: %q, %v", resolved, err)
	}
	if got, err := inroot.ReadFile(x, "/usr/share/lxc/config/common.conf"); err != nil || string(got) != "lxc.seccomp.profile = x\n" {
		t.Errorf("read through the symlink: %q, %v", got, err)
	}
	entries, err := inroot.ReadDir(x, "/bin")
	if err != nil || len(entries) != 2 || entries[0].Name() != "busybox" || entries[1].Name() != "sh" {
		t.Errorf("ReadDir /bin: %v, %v", entries, err)
	}
	info, err := inroot.Stat(x, "/bin/sh")
	if err != nil || !info.Mode().IsRegular() || info.Mode()&fs.ModeSetuid == 0 {
		t.Errorf("a hardlink is its file: %v, %v", info, err)
	}
	if uid, gid := inroot.Owner(info); uid != 0 || gid != 10 {
		t.Errorf("owner %d:%d, want 0:10", uid, gid)
	}
	// An ELF file's head is kept, so its header can be read; its content
	// beyond that cannot.
	f, err := x.FS().Open("bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 20)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.HasPrefix(head, []byte("\x7fELF")) {
		t.Errorf("ELF head: %q, %v", head, err)
	}
	if _, err := io.ReadAll(f); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("reading past the head: %v, want ErrNotIndexed", err)
	}
	if _, err := x.ReadFile("usr/lib/big.so"); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("a file not kept: %v, want ErrNotIndexed", err)
	}
	if _, err := x.Lstat("usr/lib/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	// Folders only implied by their members exist.
	if info, err := x.Lstat("usr/lib"); err != nil || !info.IsDir() {
		t.Errorf("implied folder: %v, %v", info, err)
	}
}

func TestIndexRefusesWhatExtractRefuses(t *testing.T) {
	for name, data := range map[string][]byte{
		"dot-dot":           newTar(t).file("../x", "x").bytes(),
		"dangling hardlink": newTar(t).hardlink("a", "missing").bytes(),
		"file as root":      newTar(t).file(".", "x").bytes(),
	} {
		_, err := NewIndex(context.Background(), bytes.NewReader(data), "t.tar", nil)
		if !errors.Is(err, ErrUnsafePath) && !errors.Is(err, ErrHardlinkTarget) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// Content cut short is an error, for a file whose content is kept as
	// for one whose content is passed over.
	for _, keep := range []KeepRule{nil, func(string, int64) bool { return true }} {
		truncated := newTar(t).file("a", strings.Repeat("x", 4096)).bytes()[:512+1000]
		if _, err := NewIndex(context.Background(), bytes.NewReader(truncated), "t.tar", keep); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a truncated stream: err = %v, want unexpected EOF", err)
		}
	}
}
