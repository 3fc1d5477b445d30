package lxcrun

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// qemuARM is Debian's qemu-user-static handler for 32-bit ARM as the
// kernel lists it in /proc/sys/fs/binfmt_misc/qemu-arm.
const qemuARM = `enabled
interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P
flags: PF
offset 0
magic 7f454c4601010100000000000000000002002800
mask ffffffffffffff00fffffffffffffffffeffffff
`

// elfHeaderOf is the start of a little-endian ELF file of the given class
// (1: 32-bit, 2: 64-bit), type and machine.
func elfHeaderOf(class byte, typ, machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = class, 1, 1
	binary.LittleEndian.PutUint16(h[16:], typ)
	binary.LittleEndian.PutUint16(h[18:], machine)
	return h
}

func TestBinfmtHandlerMatchesAsTheKernel(t *testing.T) {
	h := parseBinfmtHandler("qemu-arm", []byte(qemuARM))
	if !h.enabled || h.interpreter != "/usr/libexec/qemu-binfmt/arm-binfmt-P" || h.flags != "PF" || len(h.magic) != 20 || len(h.mask) != 20 {
		t.Fatalf("parsed %+v", h)
	}
	for _, c := range []struct {
		name   string
		header []byte
		want   bool
	}{
		{"armhf executable", elfHeaderOf(1, 2, 40), true},
		{"armhf shared object (the mask lets e_type 3 through)", elfHeaderOf(1, 3, 40), true},
		{"aarch64", elfHeaderOf(2, 2, 183), false},
		{"x86-64", elfHeaderOf(2, 2, 62), false},
		{"i386", elfHeaderOf(1, 2, 3), false},
		{"short file", []byte("\x7fELF"), false},
	} {
		if got := h.matches(c.header); got != c.want {
			t.Errorf("%s: matches %v, want %v", c.name, got, c.want)
		}
	}
	ext := parseBinfmtHandler("jar", []byte("enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n"))
	if ext.matches(elfHeaderOf(1, 2, 40)) {
		t.Error("an extension handler matched an ELF header")
	}
}

// A rootfs of the build host's own architecture needs no emulation; an
// armhf one runs through a registered qemu-arm handler with the F flag,
// or is refused saying how to get one.
func TestFindEmulation(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the rootfses here are amd64 and armhf; this build host is %s", runtime.GOARCH)
	}
	native, err := os.OpenRoot(treetest.Unpacked(t, "busybox-static:amd64"))
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	if emu, err := FindEmulation(native); emu != nil || err != nil {
		t.Errorf("an amd64 rootfs: %+v, %v; want no emulation", emu, err)
	}

	armhf, err := os.OpenRoot(treetest.Unpacked(t, "busybox-static:armhf"))
	if err != nil {
		t.Fatal(err)
	}
	defer armhf.Close()
	emu, err := FindEmulation(armhf)
	registered, _ := os.ReadFile(filepath.Join(BinfmtDir, "qemu-arm"))
	h := parseBinfmtHandler("qemu-arm", registered)
	usable := h.enabled && strings.Contains(h.flags, "F")
	switch {
	case usable && (err != nil || emu == nil || emu.Handler != "qemu-arm" || !strings.Contains(emu.Rootfs, "32-bit EM_ARM (/bin/busybox)")):
		t.Errorf("with qemu-arm registered: %+v, %v", emu, err)
	case !usable && (!errors.Is(err, ErrNoEmulator) || !strings.Contains(err.Error(), "qemu-user-static")):
		t.Errorf("without a usable qemu-arm handler: %+v, %v; want ErrNoEmulator saying how to get one", emu, err)
	}
}

// A handler's interpreter must be static: inside the container a dynamic
// one would look for its libraries in the rootfs.
func TestIsDynamic(t *testing.T) {
	static := filepath.Join(treetest.Unpacked(t, "busybox-static:amd64"), "bin/busybox")
	if dynamic, err := isDynamic(static); err != nil || dynamic {
		t.Errorf("busybox-static: dynamic %v, %v", dynamic, err)
	}
	if dynamic, err := isDynamic(treetest.NeedTool(t, "lxc-execute", "lxc")); err != nil || !dynamic {
		t.Errorf("lxc-execute: dynamic %v, %v", dynamic, err)
	}
}
