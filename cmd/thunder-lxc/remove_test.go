package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
)

// pluginTarget is the sample target with the plugins of testdata/plugins
// (WebKitBrowser, Cobalt) added, and shadow's newuidmap and newgidmap,
// so that provision grants root subordinate IDs in /etc/subuid (which
// holds a user's line) and /etc/subgid (which it creates).
func pluginTarget(t *testing.T) string {
	t.Helper()
	target := treetest.SampleTarget(t)
	addPlugins(t, target)
	return target
}

// addPlugins adds pluginTarget's plugins, newuidmap, newgidmap and
// /etc/subuid to the target folder dir.
func addPlugins(t *testing.T, dir string) {
	t.Helper()
	treetest.Run(t, "sh", "-c", `cp "$1"/testdata/plugins/*.json "$2"/etc/Thunder/plugins/ && mkdir -p "$2"/usr/bin &&
printf '#!/bin/sh\n' > "$2"/usr/bin/newuidmap && printf '#!/bin/sh\n' > "$2"/usr/bin/newgidmap &&
chmod 4755 "$2"/usr/bin/newuidmap "$2"/usr/bin/newgidmap && printf 'builder:200000:65536\n' > "$2"/etc/subuid`, "sh", treetest.RepoRoot(t), dir)
}

// untimedTree describes a target for comparing it with itself before a
// run: every path with its type, mode, owner, size, content, link,
// device numbers, hardlinks and xattrs, but no times (remove writes the
// files it restores anew, and folders change with their listing).
func untimedTree(t *testing.T, target string) []string {
	t.Helper()
	return treeLines(t, target, nil, func(string) bool { return true })
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, code := run(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

func readText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The guide's OCDM (kept ID 1000, the TestLogging share) and WebKitBrowser
// are provisioned; removing OCDM gives its plugin config back byte for
// byte and leaves the seccomp line commented (WebKitBrowser still needs
// it) and the grant lines WebKitBrowser relies on; removing WebKitBrowser,
// the last, makes the line active again. The target is then as it was.
func TestRemoveOneOfTwoThenTheLast(t *testing.T) {
	treetest.NeedRoot(t)
	target, tarball := pluginTarget(t), gzipRootfs(t)
	original := untimedTree(t, target)
	ocdm := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	common := filepath.Join(target, "usr/share/lxc/config/common.conf")
	ocdmBefore, commonBefore := readText(t, ocdm), readText(t, common)
	mustRun(t, "provision", "OCDM", "--target", target, "--rootfs", tarball, "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging")
	mustRun(t, "provision", "WebKitBrowser", "--target", target, "--rootfs", tarball)
	grants := readText(t, filepath.Join(target, "etc/subuid"))

	mustRun(t, "remove", "OCDM", "--target", target)
	if got := readText(t, ocdm); got != ocdmBefore {
		t.Errorf("OCDM.json after remove:\n%s\nwant, as before provision:\n%s", got, ocdmBefore)
	}
	if got := readText(t, common); !strings.Contains(got, "\n# lxc.seccomp.profile = ") || got == commonBefore {
		t.Errorf("common.conf after removing one of two containers: the seccomp line must stay commented:\n%s", got)
	}
	for _, gone := range []string{"usr/share/Thunder/OCDM/Container", "var"} {
		if _, err := os.Lstat(filepath.Join(target, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/OCDM/.keep")); err != nil {
		t.Errorf("the OCDM folder that was there before lost its file: %v", err)
	}
	subuid := readText(t, filepath.Join(target, "etc/subuid"))
	if strings.Contains(subuid, "root:1000:1\n") || !strings.Contains(subuid, "root:100000:1000\n") || subuid == grants {
		t.Errorf("/etc/subuid after removing OCDM: the kept ID's grant must go, those WebKitBrowser needs stay:\n%s", subuid)
	}
	if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/WebKitBrowser/Container/rootfs/bin/busybox")); err != nil {
		t.Errorf("WebKitBrowser's container: %v", err)
	}

	mustRun(t, "remove", "WebKitBrowser", "--target", target)
	if got := readText(t, common); got != commonBefore {
		t.Errorf("common.conf after removing the last container:\n%s\nwant:\n%s", got, commonBefore)
	}
	sameLines(t, "the target before provision and after remove", original, untimedTree(t, target))
}

// Three containers provisioned by two runs with other options, then all
// removed by one: the target is as it was, compared as a whole tree. A
// second remove has nothing to do.
func TestProvisionAllThenRemoveAllGivesTheOriginal(t *testing.T) {
	treetest.NeedRoot(t)
	target, tarball := pluginTarget(t), gzipRootfs(t)
	original := untimedTree(t, target)
	mustRun(t, "provision", "OCDM", "--target", target, "--rootfs", tarball, "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging")
	mustRun(t, "provision", "WebKitBrowser", "Cobalt", "--target", target, "--rootfs", tarball, "--env", "WPE_DISPLAY=wayland-0")
	mustRun(t, "remove", "Cobalt", "OCDM", "WebKitBrowser", "--target", target)
	sameLines(t, "the target before provision and after remove", original, untimedTree(t, target))

	var report provision.RemoveReport
	out := mustRun(t, "remove", "OCDM", "WebKitBrowser", "Cobalt", "--target", target, "--json")
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("remove --json: %v\n%s", err, out)
	}
	if report.Changed || report.Containers[0].Action != provision.ActionAbsent {
		t.Errorf("second remove: %s", out)
	}
}

// A share folder holding files is the user's data: remove leaves it (and
// its parents), says so, and takes away the rest.
func TestRemoveKeepsAShareFolderHoldingFiles(t *testing.T) {
	treetest.NeedRoot(t)
	target, tarball := pluginTarget(t), gzipRootfs(t)
	mustRun(t, "provision", "OCDM", "--target", target, "--rootfs", tarball, "--share", "/var/log/TestLogging:TestLogging")
	log := filepath.Join(target, "var/log/TestLogging/ocdm.log")
	if err := os.WriteFile(log, []byte("written on the device\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "remove", "OCDM", "--target", target, "--json")
	var report provision.RemoveReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Kept) != 1 || report.Kept[0].Path != "/var/log/TestLogging" {
		t.Errorf("report's kept paths: %+v", report.Kept)
	}
	if got := readText(t, log); got != "written on the device\n" {
		t.Errorf("the share's file: %q", got)
	}
	if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/OCDM/Container")); !os.IsNotExist(err) {
		t.Errorf("the container folder is still there: %v", err)
	}
}

// A dry run writes nothing and shows the restore; a container the tool
// did not make is refused, and nothing is changed.
func TestRemoveDryRunAndRefusal(t *testing.T) {
	treetest.NeedRoot(t)
	target, tarball := pluginTarget(t), gzipRootfs(t)
	mustRun(t, "provision", "OCDM", "--target", target, "--rootfs", tarball)
	before := treeLines(t, target, nil, nil)
	out := mustRun(t, "remove", "OCDM", "--target", target, "--dry-run")
	if !strings.Contains(out, `-      "mode": "Container"`) || !strings.Contains(out, "would be deleted") {
		t.Errorf("dry run's report:\n%s", out)
	}
	if err := os.MkdirAll(filepath.Join(target, "usr/share/Thunder/Cobalt/Container"), 0o755); err != nil {
		t.Fatal(err)
	}
	before = treeLines(t, target, nil, nil)
	_, stderr, code := run(t, "remove", "OCDM", "Cobalt", "--target", target)
	if code != 1 || !strings.Contains(stderr, "thunder-lxc did not make it") {
		t.Errorf("remove of a hand-made container: exit %d: %s", code, stderr)
	}
	sameLines(t, "the target before and after the refused remove", before, treeLines(t, target, nil, nil))
}

// Inside fakeroot and pseudo, remove changes the target through the
// session's programs: provision then remove gives back the tree as the
// session sees it (owners, modes, xattrs, contents).
func TestSessionRemoveGivesTheOriginal(t *testing.T) {
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		out := sessiontest.MustRun(t, k, f.dir, `
mkdir t
unpack "$TARGET" t "$XATTRS"
snapshot t before.tar
"$TL" provision OCDM Other --target t --rootfs "$ROOTFS" --keep-id 1000 --share /var/log/TestLogging:TestLogging
"$TL" remove OCDM Other --target t
snapshot t after.tar
`, "TL="+f.bin, "TARGET="+f.target, "XATTRS="+f.targetXattrs, "ROOTFS="+f.rootfsGz)
		untimed := func(name string, dir bool) bool {
			return dir || name == "etc/Thunder/plugins/OCDM.json" || name == "etc/Thunder/plugins/Other.json" || name == "usr/share/lxc/config/common.conf" ||
				name == "etc/Thunder/config.json"
		}
		want := sessiontest.Describe(t, filepath.Join(f.dir, "before.tar"), untimed)
		got := sessiontest.Describe(t, filepath.Join(f.dir, "after.tar"), untimed)
		if d := sessiontest.Diff(want, got); d != "" {
			t.Fatalf("in %s the target after provision and remove differs (- before, + after):\n%s\n%s", k.Name, d, out)
		}
	})
}
