package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// installLib copies a real shared library of the build host into the
// target under the liblxc name.
func installLib(t *testing.T, target, from string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Skipf("needs %s on the build host: %v", from, err)
	}
	dir := filepath.Join(target, "usr/lib")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "liblxc.so.1"), data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSeccompAuto(t *testing.T) {
	tarball := rootfsTarball(t, "")
	kernelWithout := filepath.Join(t.TempDir(), "config")
	os.WriteFile(kernelWithout, []byte("# Linux/arm 6.1.0 Kernel Configuration\nCONFIG_SECCOMP=y\n# CONFIG_SECCOMP_FILTER is not set\nCONFIG_USER_NS=y\n"), 0o644)
	kernelWith := filepath.Join(t.TempDir(), "config-with")
	os.WriteFile(kernelWith, []byte("# Linux/arm 6.1.0 Kernel Configuration\nCONFIG_SECCOMP=y\nCONFIG_SECCOMP_FILTER=y\nCONFIG_USER_NS=y\n"), 0o644)
	cases := []struct {
		name    string
		lib     string // host library installed as the target's liblxc
		kernel  string
		comment bool
		why     string
	}{
		{"liblxc with libseccomp", "/usr/lib/x86_64-linux-gnu/liblxc.so.1", "", false, "linked with libseccomp"},
		{"liblxc without libseccomp", "/usr/lib/x86_64-linux-gnu/libz.so.1", "", true, "without libseccomp"},
		{"no liblxc", "", "", true, "no liblxc"},
		{"kernel without SECCOMP_FILTER", "/usr/lib/x86_64-linux-gnu/liblxc.so.1", kernelWithout, true, "lacks CONFIG_SECCOMP_FILTER"},
		{"kernel with SECCOMP_FILTER", "/usr/lib/x86_64-linux-gnu/liblxc.so.1", kernelWith, false, "linked with libseccomp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := treetest.SampleTarget(t)
			if c.lib != "" {
				installLib(t, target, c.lib)
			}
			plan, err := BuildPlan(t.Context(), Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball,
				Seccomp: lxc.SeccompAuto, KernelConfig: c.kernel, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			defer plan.Close()
			var commented bool
			var why []string
			for _, e := range plan.Edits {
				if e.Path == "/usr/share/lxc/config/common.conf" {
					commented = e.Changed()
					why = append(why, e.Why)
				}
			}
			why = append(why, plan.Warnings...)
			if commented != c.comment || !strings.Contains(strings.Join(why, " "), c.why) {
				t.Errorf("commented %v (want %v), reasons %q (want one with %q)", commented, c.comment, why, c.why)
			}
		})
	}
}

func TestArchAutoNeedsAnELF(t *testing.T) {
	treetest.NeedRoot(t)
	dir := filepath.Join(t.TempDir(), "rootfs")
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/hostname"), []byte("x\n"), 0o644)
	tarball := filepath.Join(t.TempDir(), "noelf.tar")
	treetest.Run(t, "tar", "-C", dir, "-cf", tarball, ".")

	target := treetest.SampleTarget(t)
	before := treetest.Mtree(t, target)
	err := provisionErr(Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "arch" || !errors.Is(err, lxc.ErrNoELF) || !strings.HasSuffix(fe.Error(), "set it to linux32 or linux64") {
		t.Fatalf("err = %v, want a refusal of the arch field that says what to set", err)
	}
	if treetest.Mtree(t, target) != before {
		t.Error("a refused run changed the target")
	}
	// Given explicitly, no ELF is needed.
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball, Arch: "linux32"})
	if !strings.Contains(report.Containers[0].Config, "lxc.arch = linux32\n") {
		t.Errorf("config:\n%s", report.Containers[0].Config)
	}
}
