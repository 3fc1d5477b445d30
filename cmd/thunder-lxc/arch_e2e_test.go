package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// TestEveryLibLXCArchName: provision --arch writes each lxc.arch value
// liblxc knows as given, and verify accepts it. The busybox rootfs is
// 64-bit, so a 32-bit personality draws exactly the one finding that
// compares it with the rootfs (an error: exit 1); a name verify did not know would draw "not
// an architecture liblxc knows" instead.
func TestEveryLibLXCArchName(t *testing.T) {
	treetest.NeedRoot(t)
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
	target := treetest.SampleTarget(t)
	config := filepath.Join(target, "usr/share/Thunder/OCDM/Container/config")
	for _, name := range lxc.ArchNames() {
		t.Run(name, func(t *testing.T) {
			if _, errOut, code := run(t, "provision", "OCDM", "--target", target, "--rootfs", src, "--no-idmap", "--force", "--arch", name); code != 0 {
				t.Fatalf("provision --arch %s: exit %d: %s", name, code, errOut)
			}
			data, err := os.ReadFile(config)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "\nlxc.arch = "+name+"\n") {
				t.Fatalf("config lacks lxc.arch = %s:\n%s", name, data)
			}
			r, code := verifyReport(t, "--target", target)
			if len(r.Containers) != 1 {
				t.Fatalf("verify: %+v, want one container", r)
			}
			// Notes (the sample target has no liblxc) are not what is tested.
			var findings []string
			for _, f := range r.Containers[0].Findings {
				if f.Severity == "error" || f.Check == "arch" {
					findings = append(findings, f.Check+": "+f.Message)
				}
			}
			personality, _ := lxc.ArchPersonality(name)
			if personality == lxc.PersonalityLinux64 {
				if code != 0 || len(findings) != 0 {
					t.Fatalf("verify: exit %d, findings %q: want none for a 64-bit name on a 64-bit rootfs", code, findings)
				}
				return
			}
			if code != 1 || len(findings) != 1 || !strings.HasPrefix(findings[0], "arch: ") || !strings.Contains(findings[0], "is 32-bit but the rootfs") {
				t.Fatalf("verify: exit %d, findings %q: want only the 32-bit personality over a 64-bit rootfs", code, findings)
			}
		})
	}
}
