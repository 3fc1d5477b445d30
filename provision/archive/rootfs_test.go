package archive

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// node is one path of the rootfs-like test tree.
type node struct {
	path     string
	kind     uint32 // unix.S_IF*
	perm     uint32 // incl. setuid/setgid/sticky
	uid, gid int
	content  []byte
	link     string // symlink target, or hardlink source for kind 0
	dev      [2]uint32
	xattrs   map[string]string
	setcap   string // capability text for setcap(8)
}

// hardlinkKind marks a node that is a hardlink to n.link.
const hardlinkKind = 0

// buildRootfs creates a tree with what a real root filesystem holds: odd
// folder modes, setuid/setgid/sticky, hardlink groups, absolute, relative
// and dangling symlinks, devices, a FIFO, user.* and security.capability
// xattrs, odd names, deep paths, distinct owners and old mtimes.
func buildRootfs(t testing.TB, root string) {
	t.Helper()
	big := make([]byte, 3<<20+123)
	rand.Read(big)
	deep := "deep"
	for i := range 40 {
		deep += fmt.Sprintf("/level-%02d", i)
	}
	long := strings.Repeat("long-name-", 15) + "end"
	nodes := []node{
		{path: "bin", kind: unix.S_IFDIR, perm: 0o755},
		{path: "bin/busybox", kind: unix.S_IFREG, perm: 0o4755, content: []byte("#!busybox\n")},
		{path: "bin/sh", kind: unix.S_IFLNK, link: "busybox"},
		{path: "bin/ls", kind: unix.S_IFLNK, link: "/bin/busybox", uid: 3, gid: 4},
		{path: "bin/ping", kind: unix.S_IFREG, perm: 0o755, content: []byte("ping"), setcap: "cap_net_raw+ep"},
		{path: "bin/arping", kind: unix.S_IFREG, perm: 0o755, content: []byte("arping"),
			xattrs: map[string]string{"security.capability": capV2(1 << 13)}},
		{path: "usr", kind: unix.S_IFDIR, perm: 0o755},
		{path: "usr/bin", kind: unix.S_IFDIR, perm: 0o755},
		{path: "usr/bin/hl-a", kind: unix.S_IFREG, perm: 0o2755, gid: 50, content: []byte("hardlinked")},
		{path: "usr/bin/hl-b", kind: hardlinkKind, link: "usr/bin/hl-a"},
		{path: "sbin", kind: unix.S_IFDIR, perm: 0o750, gid: 10},
		{path: "sbin/hl-c", kind: hardlinkKind, link: "usr/bin/hl-a"},
		{path: "usr/lib", kind: unix.S_IFDIR, perm: 0o755},
		{path: "usr/lib/big.so", kind: unix.S_IFREG, perm: 0o644, content: big},
		{path: "usr/lib/empty", kind: unix.S_IFREG, perm: 0o600},
		{path: "tmp", kind: unix.S_IFDIR, perm: 0o1777},
		{path: "var", kind: unix.S_IFDIR, perm: 0o755},
		{path: "var/mail", kind: unix.S_IFDIR, perm: 0o2775, gid: 8},
		{path: "etc", kind: unix.S_IFDIR, perm: 0o755, xattrs: map[string]string{"user.folder": "etc"}},
		{path: "etc/shadow", kind: unix.S_IFREG, perm: 0o640, gid: 42, content: []byte("root:*:1::::::\n")},
		{path: "etc/mime", kind: unix.S_IFREG, perm: 0o644, content: []byte("m"),
			xattrs: map[string]string{"user.mime_type": "text/plain", "user.bin": "\x00\x01\xff"}},
		{path: "etc/dangling", kind: unix.S_IFLNK, link: "/nonexistent/file"},
		{path: "etc/up", kind: unix.S_IFLNK, link: "../usr/lib"},
		{path: "dev", kind: unix.S_IFDIR, perm: 0o755},
		{path: "dev/null", kind: unix.S_IFCHR, perm: 0o666, dev: [2]uint32{1, 3}},
		{path: "dev/sda1", kind: unix.S_IFBLK, perm: 0o660, gid: 6, dev: [2]uint32{8, 1}},
		{path: "dev/initctl", kind: unix.S_IFIFO, perm: 0o600},
		{path: "dev/null-hard", kind: hardlinkKind, link: "dev/null"},
		{path: "home", kind: unix.S_IFDIR, perm: 0o755},
		{path: "home/user", kind: unix.S_IFDIR, perm: 0o700, uid: 1234, gid: 5678},
		{path: "home/user/.profile", kind: unix.S_IFREG, perm: 0o644, uid: 1234, gid: 5678, content: []byte("PS1=$\n")},
		{path: "home/nobody", kind: unix.S_IFDIR, perm: 0o000, uid: 65534, gid: 65534},
		{path: "home/nobody/locked", kind: unix.S_IFREG, perm: 0o000, uid: 65534, gid: 65534, content: []byte("x")},
		{path: "readonly", kind: unix.S_IFDIR, perm: 0o511},
		{path: "readonly/file", kind: unix.S_IFREG, perm: 0o444, content: []byte("ro")},
		{path: "odd", kind: unix.S_IFDIR, perm: 0o755},
		{path: "odd/with space", kind: unix.S_IFREG, perm: 0o644, content: []byte("space")},
		{path: "odd/new\nline", kind: unix.S_IFREG, perm: 0o644, content: []byte("newline")},
		{path: "odd/ünïcødé-日本語", kind: unix.S_IFREG, perm: 0o644, content: []byte("unicode")},
		{path: "odd/" + long, kind: unix.S_IFREG, perm: 0o644, content: []byte("long")},
		{path: "odd/" + long + "-link", kind: unix.S_IFLNK, link: strings.Repeat("../", 40) + long},
		{path: "odd/sticky-file", kind: unix.S_IFREG, perm: 0o1755, content: []byte("sticky")},
		{path: "odd/all-bits", kind: unix.S_IFREG, perm: 0o7777, uid: 1, gid: 2, content: []byte("all")},
	}
	for i, comp := range strings.Split(deep, "/") {
		_ = comp
		nodes = append(nodes, node{path: strings.Join(strings.Split(deep, "/")[:i+1], "/"), kind: unix.S_IFDIR, perm: 0o755})
	}
	nodes = append(nodes, node{path: deep + "/leaf", kind: unix.S_IFREG, perm: 0o644, content: []byte("deep")})

	for _, n := range nodes {
		p := filepath.Join(root, n.path)
		var err error
		switch n.kind {
		case unix.S_IFDIR:
			err = os.Mkdir(p, 0o700)
		case unix.S_IFREG:
			err = os.WriteFile(p, n.content, 0o600)
		case unix.S_IFLNK:
			err = os.Symlink(n.link, p)
		case hardlinkKind:
			err = os.Link(filepath.Join(root, n.link), p)
		default:
			err = unix.Mknod(p, n.kind|0o600, int(unix.Mkdev(n.dev[0], n.dev[1])))
		}
		if err != nil {
			t.Fatalf("build %s: %v", n.path, err)
		}
		if n.kind == hardlinkKind {
			continue
		}
		if err := os.Lchown(p, n.uid, n.gid); err != nil {
			t.Fatal(err)
		}
		for k, v := range n.xattrs {
			if err := unix.Lsetxattr(p, k, []byte(v), 0); err != nil {
				t.Fatalf("xattr %s on %s: %v", k, n.path, err)
			}
		}
		if n.kind != unix.S_IFLNK {
			if err := unix.Chmod(p, n.perm); err != nil {
				t.Fatal(err)
			}
		}
		if n.setcap != "" {
			if out, err := exec.Command("setcap", n.setcap, p).CombinedOutput(); err != nil {
				t.Fatalf("setcap: %v: %s", err, out)
			}
		}
	}
	// Old times, deepest first so creating members no longer moves them.
	for i := len(nodes) - 1; i >= -1; i-- {
		p := root
		if i >= 0 {
			p = filepath.Join(root, nodes[i].path)
		}
		mt := time.Date(1985+i%30, time.Month(1+i%12), 1+i%28, i%24, i%60, i%60, i*1000+7, time.UTC)
		ts := []unix.Timespec{unix.NsecToTimespec(mt.UnixNano()), unix.NsecToTimespec(mt.UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
}

// needTools skips when a comparison tool is missing (CI installs them).
func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
}

// mtree describes a tree with bsdtar: type, owner, mode, size, mtime, link
// target, device numbers, link count and content digest of every path,
// sorted so that readdir order does not matter.
func mtree(t testing.TB, dir string) []string {
	t.Helper()
	out, err := exec.Command("bsdtar", "-cf", "-", "--format=mtree",
		"--options", "!all,uid,gid,mode,type,size,time,link,device,sha256,nlink,!use-set",
		"-C", dir, ".").Output()
	if err != nil {
		t.Fatalf("bsdtar mtree of %s: %v", dir, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(lines)
	return lines
}

// xattrsAndLinks describes what mtree leaves out: every xattr (name and
// value) and the hardlink groups.
func xattrsAndLinks(t testing.TB, dir string) []string {
	return describeExtra(t, dir, true)
}

// xattrsOnly leaves hardlink groups out.
func xattrsOnly(t testing.TB, dir string) []string { return describeExtra(t, dir, false) }

func describeExtra(t testing.TB, dir string, links bool) []string {
	t.Helper()
	var out []string
	groups := map[uint64][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		buf := make([]byte, 4096)
		n, err := unix.Llistxattr(p, buf)
		if err != nil {
			return err
		}
		names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
		sort.Strings(names)
		for _, name := range names {
			if name == "" {
				continue
			}
			v := make([]byte, 4096)
			m, err := unix.Lgetxattr(p, name, v)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("xattr %q %s=%x", rel, name, v[:m]))
		}
		st := lstat(t, p)
		if links && st.Mode&unix.S_IFMT != unix.S_IFDIR && st.Nlink > 1 {
			groups[st.Ino] = append(groups[st.Ino], rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		sort.Strings(g)
		out = append(out, fmt.Sprintf("hardlinks %q", g))
	}
	sort.Strings(out)
	return out
}

// sameTree fails with the differing lines of two descriptions.
func sameTree(t testing.TB, what string, want, got []string, minLines int) {
	t.Helper()
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range want {
		w[l] = true
	}
	for _, l := range got {
		g[l] = true
	}
	var diff bytes.Buffer
	for _, l := range want {
		if !g[l] {
			fmt.Fprintf(&diff, "- %s\n", l)
		}
	}
	for _, l := range got {
		if !w[l] {
			fmt.Fprintf(&diff, "+ %s\n", l)
		}
	}
	if diff.Len() > 0 {
		t.Errorf("%s differ (- reference, + ours):\n%s", what, diff.String())
	}
	if len(want) < minLines {
		t.Errorf("%s: only %d lines described, the comparison proves nothing", what, len(want))
	}
}
