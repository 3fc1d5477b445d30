package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxcrun"
)

// Every command's --help shows examples, taken from the Thunder LXC guide's
// scenario (OCDM, kept ID 1000, the TestLogging share, a Raspberry Pi 3
// 32-bit rootfs), and each of them works: its lines run one by one with
// bash, in a fresh guideFixture, with the binary on PATH, and each must
// exit 0. A command without examples fails the test. A command whose
// examples need more than the fixture (a provisioned target) names what
// in examplesPrepare.
func TestEveryCommandsExamplesRun(t *testing.T) {
	bin := buildBinary(t)
	forEachCommand(newRootCmd(), func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return // help, completion requests: cobra's own
		}
		name := commandName(c)
		if !c.HasParent() {
			name = "thunder-lxc"
		}
		t.Run(name, func(t *testing.T) {
			lines := exampleLines(c.Example)
			if len(lines) == 0 {
				t.Fatalf("%s has no Examples block: give it examples from the guide's scenario that run against guideFixture", c.CommandPath())
			}
			if !c.HasParent() || strings.Contains(c.Example, "sudo ") {
				treetest.NeedRoot(t) // the examples run sudo; as root it is the command itself
			}
			dir := guideFixture(t)
			if prepare := examplesPrepare[name]; prepare != nil {
				prepare(t, bin, dir)
			}
			for _, line := range lines {
				runExample(t, bin, dir, line)
			}
			if check := examplesResult[name]; check != nil && !t.Failed() {
				check(t, dir)
			}
		})
	})
}

// examplesPrepare readies the fixture for commands whose examples work on
// more than a fresh one.
var examplesPrepare = map[string]func(t *testing.T, bin, dir string){
	"verify": provisionTheGuidesOCDM,
	"remove": provisionTheGuidesOCDM,
	"run":    needArmhfEmulation,
}

// examplesResult checks what some examples leave behind is the guide's.
var examplesResult = map[string]func(t *testing.T, dir string){
	"provision": theGuidesConfig,
	"apply":     theGuidesConfig,
	"remove": func(t *testing.T, dir string) {
		if _, err := os.Stat(filepath.Join(dir, "output/target/usr/share/Thunder/OCDM/Container")); err == nil {
			t.Error("OCDM's container is still there after remove")
		}
	},
	"verify": func(t *testing.T, dir string) {
		report, err := os.ReadFile(filepath.Join(dir, "verify.json"))
		if err != nil || !strings.Contains(string(report), `"ok": true`) {
			t.Errorf("verify.json (%v):\n%s", err, report)
		}
	},
	"run": func(t *testing.T, dir string) {
		report, err := os.ReadFile(filepath.Join(dir, "run.json"))
		if err != nil || !strings.Contains(string(report), `"ok": true`) || !strings.Contains(string(report), `"handler": "`) {
			t.Errorf("run.json (%v):\n%s", err, report)
		}
	},
}

// needArmhfEmulation skips run's examples where the build host cannot run
// the fixture's 32-bit ARM rootfs.
func needArmhfEmulation(t *testing.T, _, dir string) {
	t.Helper()
	root, err := os.OpenRoot(filepath.Join(dir, "output/target"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := lxcrun.FindEmulation(root); errors.Is(err, lxcrun.ErrNoEmulator) {
		t.Skipf("the guide's rootfs is 32-bit ARM: %v", err)
	}
}

// theGuidesConfig checks OCDM's container config is the guide's: 32-bit,
// user 1000 kept, the TestLogging share.
func theGuidesConfig(t *testing.T, dir string) {
	config, err := os.ReadFile(filepath.Join(dir, "output/target/usr/share/Thunder/OCDM/Container/config"))
	for _, want := range []string{"lxc.arch = linux32\n", "lxc.idmap = u 1000 1000 1\n", "lxc.mount.entry = /var/log/TestLogging TestLogging none bind,rw 0 0\n"} {
		if !strings.Contains(string(config), want) {
			t.Errorf("OCDM's config lacks %q (%v):\n%s", want, err, config)
		}
	}
}

// provisionTheGuidesOCDM containerizes OCDM in the fixture's target as the
// guide does: user 1000 kept, /var/log/TestLogging shared.
func provisionTheGuidesOCDM(t *testing.T, bin, dir string) {
	t.Helper()
	treetest.NeedRoot(t)
	runExample(t, bin, dir, "thunder-lxc provision OCDM --target output/target --keep-id 1000 --share /var/log/TestLogging:TestLogging")
}

// exampleLines are the shell lines of an Examples block: comments and
// blank lines left out, a line ending in "\" joined with the next.
func exampleLines(example string) []string {
	var lines []string
	pending := ""
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		if pending == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if cut, ok := strings.CutSuffix(l, `\`); ok {
			pending += cut
			continue
		}
		lines = append(lines, pending+l)
		pending = ""
	}
	return lines
}

// runExample runs one example line with bash in dir, where HOME is too,
// the binary and a sudo that runs its command (the test is root) first on
// PATH.
func runExample(t *testing.T, bin, dir, line string) {
	t.Helper()
	tools := filepath.Join(dir, ".tools")
	if _, err := os.Stat(tools); err != nil {
		os.Mkdir(tools, 0o755)
		os.Symlink(bin, filepath.Join(tools, "thunder-lxc"))
		os.WriteFile(filepath.Join(tools, "sudo"), []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755)
	}
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "PATH="+tools+":"+os.Getenv("PATH"), "MANPAGER=cat")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("example %q: %v\n%s", line, err, out)
	}
}

// guideApplyFile declares the guide's OCDM for apply.
const guideApplyFile = `# The Thunder LXC guide's OCDM: user 1000 kept, its log folder shared.
target: output/target
rootfs: output/images/rootfs.tar.gz
containers:
  - callsign: OCDM
    keep-id: [1000]
    share: [/var/log/TestLogging:TestLogging]
`

// guideFixture is a Buildroot output folder of the guide's scenario:
// output/target, a Raspberry Pi 3 root filesystem (32-bit ARM busybox, a
// stand-in ThunderPlugin, the sample Thunder R5 configs with OCDM);
// output/images/rootfs.tar and rootfs.tar.gz of it; the kernel's config in
// output/build/linux-custom/.config and the Buildroot .config naming it;
// containers.yaml, apply's file of the same.
func guideFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	armhf := filepath.Join(treetest.Unpacked(t, "busybox-static:armhf"), "bin/busybox")
	target := filepath.Join(dir, "output/target")
	os.MkdirAll(filepath.Dir(target), 0o755)
	treetest.Run(t, "cp", "-a", treetest.SampleTarget(t), target)
	treetest.BusyboxRootfsWith(t, target, armhf)
	treetest.Run(t, "cp", "-a", filepath.Join(treetest.RepoRoot(t), "testdata/sample-hosting")+"/.", target)
	images := filepath.Join(dir, "output/images")
	os.MkdirAll(images, 0o755)
	treetest.Run(t, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", target, "-cf", filepath.Join(images, "rootfs.tar"), ".")
	treetest.Run(t, "tar", "--numeric-owner", "--owner=0", "--group=0", "-C", target, "-czf", filepath.Join(images, "rootfs.tar.gz"), ".")

	kernel, err := os.ReadFile(testKernelConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"output/build/linux-custom/.config", "output/board/linux.config"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), kernel, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "output/.config"), []byte(testBuildrootConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "containers.yaml"), []byte(guideApplyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
