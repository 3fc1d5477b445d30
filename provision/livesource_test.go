package provision

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// A live system (or an SD card whose host mounted its /dev) has other
// filesystems on /proc, /sys and /dev: their folders are copied, their
// contents are not. A plain rootfs's /dev, device nodes made at image build
// time, is copied.
func TestTargetSourceLeavesLiveMountsOut(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, target)
	if err := syscall.Mknod(filepath.Join(target, "dev/console"), syscall.S_IFCHR|0o600, 5<<8|1); err != nil {
		t.Fatal(err)
	}
	sys := filepath.Join(target, "sys")
	if err := syscall.Mount("tmpfs", sys, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("needs to mount a tmpfs as a live /sys: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(sys, syscall.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(sys, "live-state"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target})
	rootfs := filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs")
	entries, err := os.ReadDir(filepath.Join(rootfs, "sys"))
	if err != nil || len(entries) != 0 {
		t.Errorf("rootfs/sys: %d entries, %v; want the empty folder", len(entries), err)
	}
	if info, err := os.Lstat(filepath.Join(rootfs, "dev/console")); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("the rootfs's own /dev/console was not copied: %v", err)
	}
}
