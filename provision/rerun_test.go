package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// sdCard makes a target that is its own source, as an SD card is: the
// sample Thunder target with a busybox rootfs in it, and newuidmap so that
// the run also grants subordinate IDs in a new /etc/subuid. Its data path
// folder for OCDM is missing, so the run makes parent folders too.
func sdCard(t *testing.T) string {
	t.Helper()
	target := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, target)
	if err := os.RemoveAll(filepath.Join(target, "usr/share/Thunder/OCDM")); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if err := os.WriteFile(filepath.Join(target, "usr/bin", tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return target
}

// mtreeWithTimes describes a tree with every file's and folder's times.
func mtreeWithTimes(t *testing.T, dir string) string {
	t.Helper()
	return treetest.Run(t, "bsdtar", "--format=mtree", "--options", "!all,type,mode,uid,gid,size,time,link,device,sha256",
		"-cf", "-", "-C", dir, ".")
}

// The SD-card flow (no --rootfs: the target copies itself) twice: the
// second run changes nothing, not a byte and not a time; a run with
// another option is refused naming that option, and changes nothing.
func TestSDCardRerunChangesNothing(t *testing.T) {
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "bsdtar", "libarchive-tools")
	target := sdCard(t)
	req := Request{Callsigns: []string{"OCDM"}, Target: target, KeepUIDs: []int{1000}, KeepGIDs: []int{1000},
		Shares: []string{"/var/log/TestLogging:TestLogging"}}
	first := provisionOK(t, req)
	if first.Containers[0].Action != ActionCreate {
		t.Fatalf("first run: %s", first.Containers[0].Action)
	}
	before := mtreeWithTimes(t, target)

	second := provisionOK(t, req)
	if second.Changed || second.Containers[0].Action != ActionUnchanged {
		t.Errorf("second run: changed %v, action %s", second.Changed, second.Containers[0].Action)
	}
	if after := mtreeWithTimes(t, target); after != before {
		t.Errorf("the second run changed the target")
	}

	for name, c := range map[string]struct {
		change func(*Request)
		want   string
	}{
		"kept ID":     {func(r *Request) { r.KeepUIDs, r.KeepGIDs = []int{1001}, []int{1001} }, "(idmap-base, idmap-size, keep-id)"},
		"shifting":    {func(r *Request) { r.NoShiftIDs = true }, "owner shifting was on, now off (shift-ids)"},
		"share":       {func(r *Request) { r.Shares = []string{"/var/log/TestLogging:Logs"} }, "(share)"},
		"environment": {func(r *Request) { r.Env = []string{"FOO=1"} }, `"lxc.environment = FOO=1" now`},
	} {
		changed := req
		c.change(&changed)
		err := provisionErr(changed)
		var exists *ContainerExistsError
		if !errors.As(err, &exists) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s changed: err = %v, want a refusal naming %q", name, err, c.want)
		}
		if after := mtreeWithTimes(t, target); after != before {
			t.Errorf("%s changed: the refused run changed the target", name)
		}
	}

	// A file added to the target (the source) is named as such.
	if err := os.WriteFile(filepath.Join(target, "etc/added"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := provisionErr(req); err == nil || !strings.Contains(err.Error(), "files of the target (the source) were added, removed or changed") {
		t.Errorf("a file added: err = %v", err)
	}
}

// The dry run shows the config the real run then writes, lxc.arch read
// from the tarball included.
func TestDryRunShowsTheConfigWritten(t *testing.T) {
	treetest.NeedRoot(t)
	for _, compress := range []string{"", "zstd"} {
		tarball := rootfsTarball(t, compress)
		target := treetest.SampleTarget(t)
		dry := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball, DryRun: true})
		real := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
		written := read(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/config"))
		if dry.Containers[0].Config != written || real.Containers[0].Config != written {
			t.Errorf("dry run's config:\n%s\nwritten:\n%s", dry.Containers[0].Config, written)
		}
		if !strings.Contains(written, "lxc.arch = linux64\n") {
			t.Errorf("config:\n%s", written)
		}
	}
}

// With SOURCE_DATE_EPOCH, what provision writes (and the folders whose
// listing it changes) gets that time, and the rootfs copy no later time.
func TestProvisionHonoursSourceDateEpoch(t *testing.T) {
	treetest.NeedRoot(t)
	epoch := time.Unix(1704164645, 0)
	t.Setenv("SOURCE_DATE_EPOCH", "1704164645")
	target := sdCard(t)
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Shares: []string{"/var/log/TestLogging:TestLogging"}})
	c := "usr/share/Thunder/OCDM/Container"
	for _, name := range []string{
		"usr/share/Thunder", "usr/share/Thunder/OCDM", c, c + "/config", c + "/" + stateFile, c + "/rootfs",
		c + "/rootfs/TestLogging", "etc/Thunder/plugins", "etc/Thunder/plugins/OCDM.json",
		"usr/share/lxc/config/common.conf", "etc/subuid", "var/log", "var/log/TestLogging",
	} {
		info, err := os.Lstat(filepath.Join(target, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !info.ModTime().Equal(epoch) {
			t.Errorf("%s: time %v, want SOURCE_DATE_EPOCH %v", name, info.ModTime(), epoch)
		}
	}
	err := filepath.Walk(filepath.Join(target, c, "rootfs"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.ModTime().After(epoch) {
			t.Errorf("%s: time %v after SOURCE_DATE_EPOCH", p, info.ModTime())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
