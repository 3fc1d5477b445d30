package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// sessionPrograms are the programs the tool may start in a session.
var sessionPrograms = []string{"id", "tar", "stat", "mkdir", "mv", "rm", "chown", "chmod", "touch", "setfattr", "ln", "cp"}

// maxProgramsPerContainer bounds the programs one provisioning starts in a
// session for each container, whatever the size of the rootfs: a handful
// per step (the staging folder, the copy, each file written, the commit),
// and a few for the run (detection, the source's owners, a share folder,
// the folders on the way to the containers). Each file edited takes
// seven: ln keeps the old file for undo, stat reads its owner and mode,
// tar and mv write the new one, cp gives it the old one's xattrs, touch
// its time, rm drops the old one at the end; with an ID map Thunder's
// config.json is one of them (the messaging folder).
const maxProgramsPerContainer = 36

// In a session the tool works through programs, and how many it starts
// does not grow with the rootfs: the same for 250 files as for 2,500 (or
// 7,000: a rootfs of that size takes as many). The tool finds programs only
// on a PATH of wrappers that log and run the real ones, so none it starts
// goes uncounted.
func TestSessionProgramsDoNotGrowWithTheRootfs(t *testing.T) {
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		wrappers := programWrappers(t, f.dir)
		var runs []map[string]int
		for _, files := range []int{250, 2500} {
			rootfs := filepath.Join(f.dir, fmt.Sprintf("rootfs-%d.tar", files))
			xattrs := bigRootfs(t, rootfs, files)
			log := filepath.Join(f.dir, fmt.Sprintf("programs-%d.log", files))
			sessiontest.MustRun(t, k, f.dir, `
mkdir "t$FILES"
unpack "$ROOTFS" "t$FILES" "$XATTRS"
touch "$EXEC_LOG"
PATH="$WRAPPERS" "$TL" provision OCDM Other --target "t$FILES" --keep-id 1000 --share /var/log/TestLogging:TestLogging > /dev/null
`, "SOURCE_DATE_EPOCH=1700000000", "TL="+f.bin, "ROOTFS="+rootfs, "FILES="+fmt.Sprint(files), "XATTRS="+xattrs, "WRAPPERS="+wrappers, "EXEC_LOG="+log)
			runs = append(runs, countLines(t, log))
		}
		small, big := describeCounts(runs[0]), describeCounts(runs[1])
		t.Logf("programs started in %s: 250 files: %s; 2500 files: %s", k.Name, small, big)
		if small != big {
			t.Errorf("the programs started grow with the rootfs: 250 files: %s; 2500 files: %s", small, big)
		}
		if total := sum(runs[1]); total > 2*maxProgramsPerContainer {
			t.Errorf("%d programs started for two containers (%s), want at most %d", total, big, 2*maxProgramsPerContainer)
		}
	})
}

// programWrappers makes a folder of scripts, one per session program,
// that log their name to $EXEC_LOG and run the real program.
func programWrappers(t *testing.T, dir string) string {
	t.Helper()
	wrappers := filepath.Join(dir, "wrappers")
	if err := os.Mkdir(wrappers, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range sessionPrograms {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("needs %s", name)
		}
		script := fmt.Sprintf("#!/bin/sh\necho %s >> \"$EXEC_LOG\"\nexec %s \"$@\"\n", name, real)
		if err := os.WriteFile(filepath.Join(wrappers, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return wrappers
}

// bigRootfs makes a rootfs tar (as root, with GNU tar) that is a Thunder
// target and a busybox rootfs with files small files more, 100 a folder;
// it returns the getfattr dump of the tree, written beside the tar.
func bigRootfs(t testing.TB, tarball string, files int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	richRootfs(t, dir)
	for i := 0; i < files; i++ {
		sub := filepath.Join(dir, "usr/lib/data", fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("file-%05d", i)), []byte(fmt.Sprint(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-cf", tarball, ".")
	xattrs := tarball + ".xattrs"
	sessiontest.XattrDump(t, dir, xattrs)
	for _, p := range []string{tarball, xattrs} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return xattrs
}

func countLines(t *testing.T, file string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Fields(string(data)) {
		counts[line]++
	}
	return counts
}

func describeCounts(counts map[string]int) string {
	var parts []string
	for name, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", name, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", sum(counts), strings.Join(parts, " "))
}

func sum(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
