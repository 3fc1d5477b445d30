package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

func TestParseShare(t *testing.T) {
	good := map[string]Share{
		"/var/log/TestLogging:TestLogging": {Host: "/var/log/TestLogging", Container: "TestLogging"},
		"/srv/data/:/mnt/data:ro":          {Host: "/srv/data", Container: "mnt/data", ReadOnly: true},
		"/run/sockets:run/sockets:rw":      {Host: "/run/sockets", Container: "run/sockets"},
		"/var//log/./x:var/log/x":          {Host: "/var/log/x", Container: "var/log/x"},
	}
	for spec, want := range good {
		got, err := parseShare(spec)
		if err != nil || got.Host != want.Host || got.Container != want.Container || got.ReadOnly != want.ReadOnly {
			t.Errorf("parseShare(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"relative:x", "/a", "/a:b:rx", "/a/../etc:x", "/a:../x", "/:x", "/a:/", "/a b:x", "/a:b:rw:extra"} {
		if _, err := parseShare(bad); err == nil {
			t.Errorf("parseShare(%q) accepted", bad)
		}
	}
	if got := (Share{Host: "/var/log/T", Container: "T"}).MountEntry(); got != "/var/log/T T none bind,rw 0 0" {
		t.Errorf("mount entry %q", got)
	}
}

func TestShareInsideContainerRefused(t *testing.T) {
	target := treetest.SampleTarget(t)
	_, err := BuildPlan(t.Context(), Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, ""),
		Shares: []string{"/usr/share/Thunder/OCDM/Container/rootfs/x:x"}, DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "inside the container folder") {
		t.Fatalf("err = %v, want a refusal naming the container folder", err)
	}
}

func TestProvisionShareAndGrants(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	// The device has shadow's uidmap tools and grants root nothing yet.
	os.MkdirAll(filepath.Join(target, "usr/bin"), 0o755)
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		os.WriteFile(filepath.Join(target, "usr/bin", tool), []byte("#!/bin/sh\n"), 0o755)
	}
	os.WriteFile(filepath.Join(target, "etc/subuid"), []byte("default:200000:65536"), 0o644)
	tarball := rootfsTarball(t, "")
	req := Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball,
		KeepUIDs: []int{1000}, KeepGIDs: []int{1000}, Shares: []string{"/var/log/TestLogging:TestLogging"}}
	report := provisionOK(t, req)

	// The existing line stays byte for byte; root gets exactly the map's
	// host ranges.
	subuid := read(t, filepath.Join(target, "etc/subuid"))
	if !strings.HasPrefix(subuid, "default:200000:65536\n") {
		t.Errorf("subuid's existing line changed: %q", subuid)
	}
	for _, f := range []string{"etc/subuid", "etc/subgid"} {
		got := read(t, filepath.Join(target, f))
		for _, need := range []string{"root:1000:1\n", "root:100000:1000\n", "root:101001:64535\n"} {
			if !strings.Contains(got, need) {
				t.Errorf("%s lacks %q: %q", f, need, got)
			}
		}
	}
	host, err := os.Stat(filepath.Join(target, "var/log/TestLogging"))
	if err != nil {
		t.Fatal(err)
	}
	st := host.Sys().(*syscall.Stat_t)
	if st.Uid != 1000 || st.Gid != 1000 || st.Mode&0o7777 != 0o7770 {
		t.Errorf("share folder: owner %d:%d mode %o, want 1000:1000 7770", st.Uid, st.Gid, st.Mode&0o7777)
	}
	rootfs := filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs")
	if info, err := os.Stat(filepath.Join(rootfs, "TestLogging")); err != nil || !info.IsDir() {
		t.Errorf("mount point in the container: %v", err)
	}
	config := read(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/config"))
	if !strings.Contains(config, "lxc.mount.entry = /var/log/TestLogging TestLogging none bind,rw 0 0\n") ||
		!strings.Contains(config, "lxc.idmap = u 1000 1000 1\n") {
		t.Errorf("config:\n%s", config)
	}
	// Kept IDs stay, the others shift.
	home := filepath.Join(rootfs, "home/default")
	if info, _ := os.Stat(home); info.Sys().(*syscall.Stat_t).Uid != 1000 {
		t.Errorf("home/default owner %d, want the kept 1000", info.Sys().(*syscall.Stat_t).Uid)
	}
	if info, _ := os.Stat(filepath.Join(rootfs, "bin/busybox")); info.Sys().(*syscall.Stat_t).Uid != 100000 {
		t.Errorf("bin/busybox owner %d, want 100000", info.Sys().(*syscall.Stat_t).Uid)
	}
	if len(report.Shares) != 1 || len(report.Shares[0].Access.Lines) == 0 || !report.Shares[0].Access.For(1000, 1000).Write {
		t.Errorf("share report: %+v", report.Shares)
	}

	// Again: nothing to do, nothing shifted twice, no grant added twice.
	before := treetest.Mtree(t, target)
	if again := provisionOK(t, req); again.Changed {
		t.Errorf("second run changed something")
	}
	if treetest.Mtree(t, target) != before {
		t.Error("second run changed the target")
	}
}

func TestOwnerOutsideMapIsClearError(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	dir := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, dir)
	if err := os.Chown(filepath.Join(dir, "etc/hostname"), 70000, 0); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "r.tar")
	treetest.Run(t, "tar", "--numeric-owner", "-C", dir, "-cf", tarball, ".")
	before := treetest.Mtree(t, target)
	err := provisionErr(Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "idmap-size" || !strings.Contains(err.Error(), "owner uid 70000 is outside the container's IDs 0-65535") {
		t.Fatalf("err = %v, want the uid, refused for the idmap-size field", err)
	}
	if treetest.Mtree(t, target) != before {
		t.Error("target changed")
	}
}
