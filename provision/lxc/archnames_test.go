package lxc

import (
	"testing"
)

// TestArchNamesAgainstLibLXC loads a config with each lxc.arch value of the
// table into the build host's liblxc, which reports the personality it set
// as the machine of that personality on x86 (i686 for PER_LINUX32, x86_64
// for PER_LINUX). Names outside the table must be refused, so the table
// cannot say more than liblxc does either.
func TestArchNamesAgainstLibLXC(t *testing.T) {
	lib := newLibLXC(t)
	machine := map[string]string{PersonalityLinux32: "i686", PersonalityLinux64: "x86_64"}
	names := ArchNames()
	if len(names) != 28 {
		t.Errorf("%d arch names, want the 28 of liblxc 5.0.2: %v", len(names), names)
	}
	for _, name := range names {
		personality, _ := ArchPersonality(name)
		got, loaded, out := lib.load("lxc.arch = "+name, "lxc.arch")
		if !loaded || got != machine[personality] {
			t.Errorf("lxc.arch = %s: liblxc says %q (loaded %v, %s), table says %s", name, got, loaded, out, personality)
		}
	}
	// Refused by liblxc 5.0.2: a blank value, names of later LXC releases,
	// spellings it never had.
	for _, name := range []string{"", "x32", "loongarch64", "sparc64", "armv8", "AMD64", "auto"} {
		if _, known := ArchPersonality(name); known {
			t.Errorf("ArchPersonality(%q) known, want unknown", name)
		}
		if _, loaded, _ := lib.load("lxc.arch = "+name, "lxc.arch"); loaded {
			t.Errorf("lxc.arch = %q: liblxc loads it, table refuses it", name)
		}
	}
}

func TestPersonalityClass(t *testing.T) {
	for class, want := range map[int]string{32: PersonalityLinux32, 64: PersonalityLinux64} {
		if got := personalityFor(class); got != want {
			t.Errorf("personalityFor(%d) = %s, want %s", class, got, want)
		}
		if got := PersonalityClass(want); got != class {
			t.Errorf("PersonalityClass(%s) = %d, want %d", want, got, class)
		}
	}
}
