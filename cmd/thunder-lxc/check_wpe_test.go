package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// wpeBuildroot is the folder of the WPE Buildroot R4_4 files among the
// third-party sources: the Raspberry Pi 3 container defconfig's full
// .config as kconfig makes it, the same with Process Containers and their
// LXC backend switched on, and the board's defconfig-style kernel config,
// which leaves out CONFIG_CGROUPS because SCHED_AUTOGROUP selects it.
func wpeBuildroot(t *testing.T) string {
	t.Helper()
	return treetest.ThirdParty(t, "wpe-buildroot-R4_4")
}

func checkBuildrootJSON(t *testing.T, config string) (thunder.BuildrootReport, string, int) {
	t.Helper()
	out, stderr, code := run(t, "check", "buildroot", "--json", config)
	var r thunder.BuildrootReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("check buildroot --json %s: %v\n%s%s", config, err, out, stderr)
	}
	return r, stderr, code
}

// The stock container defconfig builds WPEFramework without Process
// Containers: exactly those two required options are missing, and the
// defconfig-style kernel config is declined, not judged.
func TestCheckBuildrootWPEStock(t *testing.T) {
	dir := wpeBuildroot(t)
	r, stderr, code := checkBuildrootJSON(t, filepath.Join(dir, "raspberrypi3_wpe_ml_container.config"))
	var missing []string
	for _, o := range r.Options {
		if o.Required && !o.Present {
			missing = append(missing, o.Name)
		}
	}
	want := "BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS BR2_PACKAGE_WPEFRAMEWORK_PROCESSCONTAINERS_BE_LXC"
	if code != 1 || r.OK || r.Family != "WPEFramework" || strings.Join(missing, " ") != want {
		t.Errorf("exit %d, ok %v, family %q, missing %v: want exit 1 and %s missing (%s)", code, r.OK, r.Family, missing, want, stderr)
	}
	assertKernelDeclined(t, r)
}

// With Process Containers and the LXC backend on, every required Buildroot
// option is there.
func TestCheckBuildrootWPEWithProcessContainers(t *testing.T) {
	dir := wpeBuildroot(t)
	r, stderr, code := checkBuildrootJSON(t, filepath.Join(dir, "raspberrypi3_wpe_ml_container-with-processcontainers.config"))
	for _, o := range r.Options {
		if o.Required && !o.Present {
			t.Errorf("required %s missing", o.Name)
		}
	}
	if code != 0 || !r.OK {
		t.Errorf("exit %d, ok %v: want 0 and ok (%s)", code, r.OK, stderr)
	}
	assertKernelDeclined(t, r)
}

// assertKernelDeclined: the tree's kernel config is its board's
// defconfig-style file, which check buildroot names and does not judge.
func assertKernelDeclined(t *testing.T, r thunder.BuildrootReport) {
	t.Helper()
	notes := strings.Join(r.Notes, "\n")
	if r.Kernel != nil || !strings.Contains(notes, "rpi23-linux-5.10-container.config\" is a defconfig") {
		t.Errorf("kernel report %+v, notes %q: want the kernel check declined for the defconfig", r.Kernel, notes)
	}
}

// check kernel on the same defconfig-style file gives the same answer:
// no verdict on options it leaves out (CONFIG_CGROUPS, selected by
// SCHED_AUTOGROUP), and where to find the full .config.
func TestCheckKernelWPEDefconfig(t *testing.T) {
	config := filepath.Join(wpeBuildroot(t), "board/raspberrypi/rpi23-linux-5.10-container.config")
	stdout, stderr, code := run(t, "check", "kernel", config)
	if code != 1 || stdout != "" || strings.Contains(stderr, "CONFIG_CGROUPS") {
		t.Errorf("exit %d, stdout %q: want exit 1, no verdict on any option (%s)", code, stdout, stderr)
	}
	want := "thunder-lxc: kernel config \"" + config + "\" is a defconfig (no \"Kernel Configuration\" header): it leaves out the options at their default and those other options select, so none can be judged from it; " +
		"check the full .config the kernel build makes from it instead: Buildroot writes it to output/build/linux-*/.config (make linux-configure), a kernel tree with make olddefconfig\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}
