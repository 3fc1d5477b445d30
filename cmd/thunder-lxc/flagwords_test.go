package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// The command words each problem once, naming its flag (or command),
// whatever library found it: the exact text a user reads, with exit status 2 for a bad
// request and 1 for what only the target or the source can tell.
func TestErrorsNameTheFlagOnce(t *testing.T) {
	target := treetest.SampleTarget(t)
	noELF := filepath.Join(t.TempDir(), "rootfs")
	if err := os.MkdirAll(filepath.Join(noELF, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	kernelConfig := filepath.Join(t.TempDir(), "linux.config")
	if err := os.WriteFile(kernelConfig, []byte("# Linux/arm 6.1.44 Kernel Configuration\nCONFIG_NAMESPACES=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		args []string
		code int
		want string
	}{
		"arch not found": {
			args: []string{"provision", "OCDM", "--target", target, "--rootfs", noELF},
			code: 1,
			want: `--arch "auto": no ELF program in the rootfs ` + noELF + ` (looked for /sbin/init, /bin/busybox, /bin/sh, /usr/sbin/init, /usr/bin/busybox, ` +
				`/lib/ld-*, /lib64/ld-*, /usr/lib/ld-*, /usr/lib64/ld-*): set it to linux32 or linux64`,
		},
		"unknown layout": {
			args: []string{"provision", "OCDM", "--target", target, "--layout", "thunder5"},
			code: 2,
			want: `--layout "thunder5": use auto or one of thunder, wpeframework`,
		},
		"unknown layout in verify": {
			args: []string{"verify", "--target", target, "--layout", "thunder5"},
			code: 1,
			want: `unknown layout "thunder5": the layouts are thunder, wpeframework: give auto or one of them to --layout`,
		},
		"plugin not found": {
			args: []string{"provision", "OCMD", "--target", target, "--rootfs", noELF},
			code: 1,
			want: `no plugin config for callsign "OCMD" in /etc/Thunder/plugins, /etc/Thunder/plugin of target ` + target +
				` (found: DeviceInfo, OCDM): check the callsign, or the Thunder layout (--layout)`,
		},
		"bad --net": {
			args: []string{"provision", "OCDM", "--target", target, "--net", "veth"},
			code: 2,
			want: `--net "veth": veth needs the device's bridge: veth:BRIDGE (for example veth:lxcbr0)`,
		},
		"not a target": {
			args: []string{"provision", "OCDM", "--target", noELF + "/etc/missing"},
			code: 1,
			want: `target "` + noELF + `/etc/missing" is not a folder: give the folder holding the device's root filesystem with --target`,
		},
		"kernel config given to check buildroot": {
			args: []string{"check", "buildroot", kernelConfig},
			code: 1,
			want: `buildroot config "` + kernelConfig + `" has no BR2_ options: it is not a Buildroot .config: a kernel config goes to: thunder-lxc check kernel FILE`,
		},
		"several problems at once": {
			args: []string{"provision", "OCDM", "--target", target, "--net", "bridge", "--arch", "armv8", "--keep-id", "70000", "--share", "/var/log"},
			code: 2,
			want: "4 problems:\n" +
				`  - --net "bridge": not a network kind: use empty, none or veth:BRIDGE` + "\n" +
				`  - --arch "armv8": not a name liblxc knows: use auto or one of aarch64, amd64, arm, arm64, armel, armhf, armv7l, athlon, i386, i486, i586, i686, linux32, linux64, mips, mips64, mips64el, mipsel, powerpc, powerpc64, ppc, ppc64, ppc64el, ppc64le, riscv64, s390x, x86, x86_64` + "\n" +
				`  - --keep-id 70000: outside the container's IDs 0-65535 (size 65536); keep an ID in that range or raise the size` + "\n" +
				`  - --share "/var/log": use HOST:CONTAINER[:ro|rw], for example /var/log/TestLogging:TestLogging`,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			before := treetest.Mtree(t, target)
			_, stderr, code := run(t, c.args...)
			if code != c.code || stderr != "thunder-lxc: "+c.want+"\n" {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and:\n%s", code, stderr, c.code, c.want)
			}
			if treetest.Mtree(t, target) != before {
				t.Error("a refused run changed the target")
			}
		})
	}
}
