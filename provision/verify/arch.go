package verify

import (
	"fmt"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// archBits maps lxc.arch values to the ELF class of code they run:
// the personalities linux32/linux64 and the architecture names liblxc
// accepts (lxc.container.conf(5), checked against liblxc 5.0.2).
var archBits = map[string]int{
	"linux32": 32, "x86": 32, "i386": 32, "i486": 32, "i586": 32, "i686": 32,
	"arm": 32, "armel": 32, "armhf": 32, "armv7l": 32,
	"ppc": 32, "powerpc": 32, "mips": 32, "mipsel": 32,
	"linux64": 64, "x86_64": 64, "amd64": 64, "arm64": 64, "aarch64": 64,
	"ppc64": 64, "ppc64le": 64, "ppc64el": 64, "powerpc64": 64,
	"mips64": 64, "mips64el": 64, "riscv64": 64, "s390x": 64,
}

// checkArch: lxc.arch sets the container's personality; a 32-bit one over
// a 64-bit rootfs (or the reverse) misreports the machine to its programs,
// and an unknown value makes LXC refuse the config.
func (t *target) checkArch(cfg *lxcConfig, rootfs *os.Root, rootfsPath string, fs *findings) {
	l, ok := cfg.last("lxc.arch")
	if !ok || l.Value == "" {
		return // no personality change: the device's own
	}
	bits, known := archBits[l.Value]
	if !known {
		fs.errorf(CheckArch, l.File, "use linux32 or linux64 (thunder-lxc provision --arch auto reads it from the rootfs)",
			"%s lxc.arch = %s: not an architecture LXC knows, so it refuses the config", l.where(), l.Value)
		return
	}
	info, err := lxc.DetectArch(rootfs)
	if err != nil {
		fs.notef(CheckArch, l.File, "none, if lxc.arch is right", "cannot tell the rootfs %s's architecture: %v", rootfsPath, err)
		return
	}
	if info.Class != bits {
		fs.errorf(CheckArch, l.File, fmt.Sprintf("write lxc.arch = %s", info.LXCArch),
			"%s lxc.arch = %s is %d-bit but the rootfs %s is %d-bit (%s is a %d-bit %s ELF file)",
			l.where(), l.Value, bits, rootfsPath, info.Class, info.Path, info.Class, info.Machine)
	}
}
