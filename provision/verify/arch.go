package verify

import (
	"errors"
	"fmt"
	"os"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// checkArch: lxc.arch sets the container's personality; a 32-bit one over
// a 64-bit rootfs (or the reverse) misreports the machine to its programs,
// and an unknown value (an empty one too, measured with liblxc 5.0.2) makes
// LXC refuse the config.
func (t *target) checkArch(cfg *lxc.Config, rootfs *os.Root, rootfsPath string, fs *findings) {
	// liblxc parses every line, so an earlier bad one fails the config even
	// when a later one is right.
	refused := false
	for _, l := range cfg.All("lxc.arch") {
		if _, known := lxc.ArchPersonality(l.Value); !known {
			fs.errorf(CheckArch, l.File, "use linux32 or linux64, or delete the line for the device's own",
				"%s lxc.arch = %s: not an architecture liblxc knows, so it refuses the config", l.Where(), l.Value)
			refused = true
		}
	}
	l, ok := cfg.Last("lxc.arch")
	if !ok || refused {
		return // no lxc.arch: the device's own personality
	}
	personality, _ := lxc.ArchPersonality(l.Value)
	bits := lxc.PersonalityClass(personality)
	info, err := lxc.DetectArch(rootfs)
	if err != nil {
		var noELF *lxc.NoELFError
		if errors.As(err, &noELF) { // its Root is the build host's path of the rootfs
			noELF.Root = rootfsPath
		}
		fs.notef(CheckArch, l.File, "none, if lxc.arch is right", "cannot tell the rootfs's architecture: %v", err)
		return
	}
	if info.Class != bits {
		fs.errorf(CheckArch, l.File, fmt.Sprintf("write lxc.arch = %s", info.LXCArch),
			"%s lxc.arch = %s is %d-bit but the rootfs %s is %d-bit (%s is a %d-bit %s ELF file)",
			l.Where(), l.Value, bits, rootfsPath, info.Class, info.Path, info.Class, info.Machine)
	}
}
