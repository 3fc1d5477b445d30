package provision

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// A privileged container's rootfs is exactly what GNU tar unpacks from the
// same tarball: devices, hardlinks, setuid files, xattrs, owners and times.
func TestProvisionRootfsEqualsGNUTar(t *testing.T) {
	treetest.NeedRoot(t)
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(syscall.Mknod(filepath.Join(src, "dev/console"), syscall.S_IFCHR|0o600, int(5<<8|1)))
	must(syscall.Mknod(filepath.Join(src, "dev/sda"), syscall.S_IFBLK|0o660, int(8<<8|0)))
	must(syscall.Mkfifo(filepath.Join(src, "dev/initctl"), 0o600))
	must(os.WriteFile(filepath.Join(src, "bin/passwd"), []byte("setuid\n"), 0o755))
	must(os.Chmod(filepath.Join(src, "bin/passwd"), 0o4755|os.ModeSetuid))
	must(os.Link(filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/busybox-hardlink")))
	must(os.WriteFile(filepath.Join(src, "usr/bin/ping"), []byte("caps\n"), 0o755))
	// A v2 file capability (cap_net_raw+ep), written as the kernel stores it.
	must(syscall.Setxattr(filepath.Join(src, "usr/bin/ping"), "security.capability",
		[]byte{0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}, 0))
	must(os.WriteFile(filepath.Join(src, "etc/odd name\twith tab"), []byte("x"), 0o640))
	must(os.Chown(filepath.Join(src, "etc/odd name\twith tab"), 33, 44))
	tarball := filepath.Join(t.TempDir(), "rootfs.tar.zst")
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--zstd", "-C", src, "-cpf", tarball, ".")

	gnu := filepath.Join(t.TempDir(), "gnu")
	must(os.Mkdir(gnu, 0o755))
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--zstd", "-C", gnu, "-xpf", tarball)

	target := treetest.SampleTarget(t)
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball, NoIDMap: true})
	ours := filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs")
	if a, b := treetest.Mtree(t, gnu), treetest.Mtree(t, ours); a != b {
		t.Fatalf("the container rootfs differs from GNU tar's unpacking:\n--- GNU tar\n%s\n--- thunder-lxc\n%s", a, b)
	}
	for _, tree := range []string{gnu, ours} {
		buf := make([]byte, 64)
		n, err := syscall.Getxattr(filepath.Join(tree, "usr/bin/ping"), "security.capability", buf)
		if err != nil || n != 20 {
			t.Errorf("%s: security.capability: %d bytes, %v", tree, n, err)
		}
	}
}
