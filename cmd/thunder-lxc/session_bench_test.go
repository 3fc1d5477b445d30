package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// BenchmarkProvision7000Files provisions a target that is its own source
// (the guide's way, a Buildroot post-fakeroot script) holding a busybox
// rootfs and 7,000 small files: as root, and as an ordinary user in
// fakeroot and in pseudo. Each run gets a freshly unpacked target, not
// timed; the time is the provision command's, the session's start
// included. cpu-ms/op is its user and system time with every program it
// started, but without the session's daemon (faked, the pseudo server).
func BenchmarkProvision7000Files(b *testing.B) {
	treetest.NeedRoot(b)
	f := newSessionFixture(b)
	rootfs := filepath.Join(f.dir, "rootfs-7000.tar")
	xattrs := bigRootfs(b, rootfs, 7000)
	b.Run("root", func(b *testing.B) {
		benchProvision(b, func(target string) {
			if err := os.Mkdir(target, 0o755); err != nil {
				b.Fatal(err)
			}
			treetest.Run(b, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", rootfs, "-C", target)
		}, func(target string) *exec.Cmd {
			return exec.Command(f.bin, "provision", "OCDM", "--target", target)
		}, f.dir)
	})
	for _, k := range sessiontest.Kinds {
		b.Run(k.Name, func(b *testing.B) {
			sessiontest.Need(b, k)
			benchProvision(b, func(target string) {
				sessiontest.MustRun(b, k, f.dir, `mkdir "$T"; unpack "$ROOTFS" "$T" "$XATTRS"`, "T="+target, "ROOTFS="+rootfs, "XATTRS="+xattrs)
			}, func(target string) *exec.Cmd {
				return sessiontest.Command(b, k, f.dir, f.bin, "provision", "OCDM", "--target", target)
			}, f.dir)
		})
	}
}

// benchTargets numbers the targets of all benchmark runs: the framework
// calls a benchmark function more than once.
var benchTargets int

// benchProvision times provision (the command made by run) on targets
// made by unpack, each in a new folder of dir.
func benchProvision(b *testing.B, unpack func(target string), run func(target string) *exec.Cmd, dir string) {
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		benchTargets++
		target := filepath.Join(dir, fmt.Sprintf("%s-%d", filepath.Base(b.Name()), benchTargets))
		unpack(target)
		cmd := run(target)
		b.StartTimer()
		out, err := cmd.CombinedOutput()
		b.StopTimer()
		if err != nil {
			b.Fatalf("provision: %v\n%s", err, out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}
