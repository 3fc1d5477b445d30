package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

const ocdmContainer = "usr/share/Thunder/OCDM/Container"

// buildBinary builds thunder-lxc into a folder every user can read.
func buildBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "thunder-lxc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// deviceRootfs makes a device's root filesystem folder as a build leaves
// it: the sample Thunder target holding a busybox rootfs, with device
// nodes, a FIFO, hardlinks, setuid and setgid files, a user xattr and a
// file capability.
func deviceRootfs(t *testing.T) string {
	t.Helper()
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "setcap", "libcap2-bin")
	dir := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(syscall.Mknod(filepath.Join(dir, "dev/console"), syscall.S_IFCHR|0o600, int(unix.Mkdev(5, 1))))
	must(syscall.Mknod(filepath.Join(dir, "dev/sda"), syscall.S_IFBLK|0o660, int(unix.Mkdev(8, 0))))
	must(syscall.Mkfifo(filepath.Join(dir, "dev/initctl"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "bin/passwd"), []byte("setuid\n"), 0o755))
	must(os.Chmod(filepath.Join(dir, "bin/passwd"), 0o4755|os.ModeSetuid))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/wall"), []byte("setgid\n"), 0o755))
	must(os.Chown(filepath.Join(dir, "usr/bin/wall"), 0, 5))
	must(os.Chmod(filepath.Join(dir, "usr/bin/wall"), 0o2755|os.ModeSetgid))
	must(os.Link(filepath.Join(dir, "bin/busybox"), filepath.Join(dir, "usr/bin/busybox-hardlink")))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/ping"), []byte("caps\n"), 0o755))
	treetest.Run(t, "setcap", "cap_net_raw+ep", filepath.Join(dir, "usr/bin/ping"))
	must(unix.Lsetxattr(filepath.Join(dir, "etc/hostname"), "user.thunder", []byte("lxc"), 0))
	return dir
}

// treeLines describes a tree one line per path: type, mode, owner, size,
// device, link target, content digest, xattrs, the first path of its
// hardlink group, and the modification time of what is neither a folder
// nor in skipTime. Paths for which drop is true are left out.
func treeLines(t *testing.T, root string, drop, skipTime func(rel string) bool) []string {
	t.Helper()
	inode := map[uint64]string{}
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if drop != nil && drop(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		line := fmt.Sprintf("%s type=%o mode=%o owner=%d:%d", rel, st.Mode&unix.S_IFMT, st.Mode&0o7777, st.Uid, st.Gid)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			line += fmt.Sprintf(" size=%d sha256=%s", st.Size, hex.EncodeToString(sum[:8]))
		case unix.S_IFLNK:
			target, _ := os.Readlink(p)
			line += " link=" + target
		case unix.S_IFCHR, unix.S_IFBLK:
			line += fmt.Sprintf(" dev=%d,%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if first, ok := inode[st.Ino]; ok {
				line += " hardlink=" + first
			} else if st.Nlink > 1 {
				inode[st.Ino] = rel
			}
			if skipTime == nil || !skipTime(rel) {
				line += fmt.Sprintf(" mtime=%d.%09d", st.Mtim.Sec, st.Mtim.Nsec)
			}
		}
		line += xattrs(t, p)
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func xattrs(t *testing.T, p string) string {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n == 0 {
		return ""
	}
	var names []string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		value := make([]byte, 4096)
		m, err := unix.Lgetxattr(p, name, value)
		if err != nil {
			t.Fatalf("%s: xattr %s: %v", p, name, err)
		}
		names = append(names, fmt.Sprintf("%s=%x", name, value[:m]))
	}
	sort.Strings(names)
	return " xattrs=" + strings.Join(names, ",")
}

func sameLines(t *testing.T, what string, a, b []string) {
	t.Helper()
	if strings.Join(a, "\n") == strings.Join(b, "\n") {
		return
	}
	in := map[string]bool{}
	for _, l := range b {
		in[l] = true
	}
	var diff []string
	for _, l := range a {
		if !in[l] {
			diff = append(diff, "- "+l)
		}
		delete(in, l)
	}
	for l := range in {
		diff = append(diff, "+ "+l)
	}
	sort.Strings(diff)
	if len(diff) > 40 {
		diff = diff[:40]
	}
	t.Errorf("%s differ:\n%s", what, strings.Join(diff, "\n"))
}

// As an ordinary user, image turns a GNU tar rootfs archive into one whose
// container equals what provision makes as root from the same rootfs (the
// guide's way: the rootfs is its own source). GNU tar unpacks it as root;
// every other entry is unchanged but for the edited files.
func TestImageAsOrdinaryUserEqualsProvision(t *testing.T) {
	treetest.NeedTool(t, "setpriv", "util-linux")
	bin := buildBinary(t)
	rootfs := deviceRootfs(t)
	work := t.TempDir()
	// t.TempDir's folders are 0700: open the test's own ones (never the
	// system's /tmp above them) so the user can reach the input.
	os.Chmod(work, 0o777)
	os.Chmod(filepath.Dir(work), 0o755)
	in := filepath.Join(work, "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", rootfs, "-cpf", in, ".")
	os.Chmod(in, 0o644)
	out := filepath.Join(work, "rootfs-lxc.tar.zst")
	flags := []string{"OCDM", "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging"}

	cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin, "image", in, "-o", out}, flags...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("image as uid 65534: %v\n%s", err, msg)
	}
	unpacked := filepath.Join(t.TempDir(), "unpacked")
	os.Mkdir(unpacked, 0o755)
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--zstd", "-C", unpacked, "-xpf", out)

	provisioned := filepath.Join(t.TempDir(), "provisioned")
	treetest.Run(t, "cp", "-a", rootfs, provisioned)
	if _, stderr, code := run(t, append([]string{"provision", "--target", provisioned}, flags...)...); code != 0 {
		t.Fatalf("provision: exit %d: %s", code, stderr)
	}

	// What the tool writes gets a time of its own in each (the time of the
	// run, or the input's newest); the state records each run's source.
	written := func(rel string) bool {
		switch rel {
		case "etc/Thunder/plugins/OCDM.json", "usr/share/lxc/config/common.conf", "etc/Thunder/config.json", ocdmContainer + "/config":
			return true
		}
		return false
	}
	state := func(rel string) bool { return rel == ocdmContainer+"/.thunder-lxc.json" }
	sameLines(t, "the trees image and provision made",
		treeLines(t, provisioned, state, written), treeLines(t, unpacked, state, written))

	edited := func(rel string) bool {
		return written(rel) || strings.HasPrefix(rel, ocdmContainer) || strings.HasPrefix(rel, "var")
	}
	sameLines(t, "the input's entries before and after image",
		treeLines(t, rootfs, edited, nil), treeLines(t, unpacked, edited, nil))

	// The container holds what it must: the xattrs, the capability, the
	// devices, the hardlink, setuid and setgid, all shifted.
	var capLine string
	for _, l := range treeLines(t, filepath.Join(unpacked, ocdmContainer, "rootfs"), nil, nil) {
		if strings.HasPrefix(l, "usr/bin/ping ") {
			capLine = l
		}
	}
	if !strings.Contains(capLine, "security.capability=") || !strings.Contains(capLine, "owner=100000:100000") {
		t.Errorf("the container's ping: %s", capLine)
	}
}

// A real image builder takes the output: mke2fs -d (e2fsprogs, which
// Buildroot and Yocto use) and genext2fs -a (Debian's genext2fs), the image
// is loop-mounted and its container starts under the real lxc-execute,
// with root able to write in its own rootfs. genext2fs stores 16-bit
// owners only, so there the map must keep host IDs below 65536; verify
// tells when it did not.
func TestImageIntoFilesystemImagesStarts(t *testing.T) {
	lxctest.NeedLXC(t)
	rootfs := deviceRootfs(t)
	in := filepath.Join(t.TempDir(), "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", rootfs, "-cpf", in, ".")
	const probe = `stat -c '%u %g' / /root; touch /root/x && echo write-ok`
	for _, c := range []struct {
		builder string
		pkg     string
		idmap   []string
		request lxc.IDMapRequest
	}{
		{"mke2fs", "e2fsprogs", nil, lxc.DefaultIDMapRequest()},
		{"genext2fs", "genext2fs", []string{"--idmap-base", "20000", "--idmap-size", "45536"}, lxc.IDMapRequest{Base: 20000, Size: 45536}},
	} {
		t.Run(c.builder, func(t *testing.T) {
			treetest.NeedTool(t, c.builder, c.pkg)
			out := filepath.Join(t.TempDir(), "rootfs-lxc.tar")
			args := append([]string{"image", in, "-o", out, "OCDM"}, c.idmap...)
			if _, stderr, code := run(t, args...); code != 0 {
				t.Fatalf("image: exit %d: %s", code, stderr)
			}
			img := filepath.Join(t.TempDir(), "rootfs.ext2")
			mnt := mountImage(t, c.builder, out, img)
			m, err := lxc.NewIDMap(c.request)
			if err != nil {
				t.Fatal(err)
			}
			lxctest.GrantRoot(t, m)
			res := lxctest.Execute(t, mnt, []string{"/usr/share/Thunder"}, "/"+ocdmContainer, lxctest.Env(),
				"/bin/busybox", "sh", "-c", probe)
			if res.ExitCode != 0 || res.Stdout != "0 0\n0 0\nwrite-ok\n" {
				t.Fatalf("in the container of the %s image: %s", c.builder, res)
			}
		})
	}
	// With the default map, genext2fs keeps the low 16 bits of the owners
	// only: verify on the mounted image says the rootfs is not the
	// container root's.
	treetest.NeedTool(t, "genext2fs", "genext2fs")
	out := filepath.Join(t.TempDir(), "rootfs-lxc.tar")
	if _, stderr, code := run(t, "image", in, "-o", out, "OCDM"); code != 0 {
		t.Fatalf("image: exit %d: %s", code, stderr)
	}
	mnt := mountImage(t, "genext2fs", out, filepath.Join(t.TempDir(), "rootfs.ext2"))
	stdout, _, code := run(t, "verify", "--target", mnt, "OCDM")
	if code != 1 || !strings.Contains(stdout, "34464") {
		t.Errorf("verify on a genext2fs image with owners above 65535: exit %d:\n%s", code, stdout)
	}
}

// mountImage makes an ext2 image of the tarball with the builder and
// loop-mounts it read-write; the mount goes at the test's end.
func mountImage(t *testing.T, builder, tarball, img string) string {
	t.Helper()
	switch builder {
	case "genext2fs":
		treetest.Run(t, "genext2fs", "-a", tarball, "-b", "65536", "-N", "8192", img)
	default:
		tree := filepath.Join(t.TempDir(), "tree")
		os.Mkdir(tree, 0o755)
		treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", tree, "-xpf", tarball)
		treetest.Run(t, "mke2fs", "-q", "-t", "ext4", "-d", tree, img, "64M")
	}
	// Not under /tmp: the container binds /tmp, which a user namespace may
	// not do (non-recursively) while another filesystem is mounted in it.
	mnt, err := os.MkdirTemp("/var/tmp", "thunder-lxc-test-mnt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(mnt) })
	if out, err := treetest.RunErr("mount", "-o", "loop", img, mnt); err != nil {
		t.Skipf("needs loop devices to mount the image: %v %s", err, out)
	}
	t.Cleanup(func() { treetest.RunErr("umount", mnt) })
	return mnt
}
