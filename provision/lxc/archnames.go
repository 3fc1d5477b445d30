package lxc

import (
	"maps"
	"slices"
)

// The two personalities an lxc.arch value can set. Every other name is an
// alias of one of them: LXC does not emulate a CPU, it only tells the
// kernel whether the container's programs expect a 32-bit machine (uname
// then reports i686, armv7l, ...) or the kernel's own.
const (
	PersonalityLinux32 = "linux32" // PER_LINUX32
	PersonalityLinux64 = "linux64" // PER_LINUX
)

// archPersonality lists every lxc.arch value liblxc 5.0.2 accepts, with the
// personality it sets: the table of lxc_config_parse_arch in LXC's
// src/lxc/confile.c (tag lxc-5.0.2), checked name by name with lxc-info
// against Debian's liblxc 5.0.2 (TestArchNamesAgainstLibLXC). Any other
// value, an empty one included, makes liblxc refuse the whole config.
// LXC 6.0 adds x32 and loongarch64, LXC 7.0 loong64; they are left out
// because an older liblxc on the device would refuse them.
var archPersonality = map[string]string{
	"arm": PersonalityLinux32, "armel": PersonalityLinux32, "armhf": PersonalityLinux32, "armv7l": PersonalityLinux32,
	"athlon": PersonalityLinux32, "i386": PersonalityLinux32, "i486": PersonalityLinux32, "i586": PersonalityLinux32,
	"i686": PersonalityLinux32, "x86": PersonalityLinux32, "linux32": PersonalityLinux32,
	"mips": PersonalityLinux32, "mipsel": PersonalityLinux32, "ppc": PersonalityLinux32, "powerpc": PersonalityLinux32,

	"aarch64": PersonalityLinux64, "arm64": PersonalityLinux64, "amd64": PersonalityLinux64, "x86_64": PersonalityLinux64,
	"linux64": PersonalityLinux64, "mips64": PersonalityLinux64, "mips64el": PersonalityLinux64,
	"ppc64": PersonalityLinux64, "ppc64el": PersonalityLinux64, "ppc64le": PersonalityLinux64, "powerpc64": PersonalityLinux64,
	"riscv64": PersonalityLinux64, "s390x": PersonalityLinux64,
}

// ArchPersonality returns the personality (PersonalityLinux32 or
// PersonalityLinux64) that the lxc.arch value name sets, and false when
// liblxc does not know the name and so refuses the config.
func ArchPersonality(name string) (string, bool) {
	p, ok := archPersonality[name]
	return p, ok
}

// ArchNames lists every lxc.arch value liblxc accepts, sorted.
func ArchNames() []string {
	return slices.Sorted(maps.Keys(archPersonality))
}

// PersonalityClass is the ELF class (32 or 64) of the programs a
// personality is meant for.
func PersonalityClass(personality string) int {
	if personality == PersonalityLinux32 {
		return 32
	}
	return 64
}

// personalityFor is the lxc.arch value for a rootfs of the given ELF class.
// The generic linux32/linux64 are what this tool writes: they do not depend
// on naming the CPU family, and the personality is all lxc.arch sets.
func personalityFor(class int) string {
	if class == 32 {
		return PersonalityLinux32
	}
	return PersonalityLinux64
}
