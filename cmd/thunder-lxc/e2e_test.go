package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// e2eTarget makes the sample Thunder target and a busybox rootfs tarball
// made by GNU tar.
func e2eTarget(t *testing.T) (target, tarball string) {
	t.Helper()
	lxctest.NeedLXC(t)
	target = treetest.SampleTarget(t)
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, rootfs)
	tarball = filepath.Join(t.TempDir(), "rootfs.tar.gz")
	treetest.Run(t, "tar", "--numeric-owner", "-C", rootfs, "-czf", tarball, ".")
	return target, tarball
}

// provisionJSON runs the provision command and decodes its report.
func provisionJSON(t *testing.T, args ...string) provision.Report {
	t.Helper()
	out, errOut, code := run(t, append([]string{"provision", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("provision %v: exit %d: %s", args, code, errOut)
	}
	var report provision.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("provision --json output: %v\n%s", err, out)
	}
	return report
}

// The whole walkthrough, then the real LXC starts the container from the
// rendered config at its device path: the command runs inside, with the
// callsign as host name, and the /tmp bind mount reaches the host's /tmp.
func TestEndToEndProvisionAndStart(t *testing.T) {
	target, tarball := e2eTarget(t)
	report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", tarball)
	c := report.Containers[0]
	m, err := lxc.NewIDMap(lxc.DefaultIDMapRequest())
	if err != nil {
		t.Fatal(err)
	}
	lxctest.GrantRoot(t, m)

	marker := fmt.Sprintf("thunder-lxc-e2e-%d", os.Getpid())
	defer os.Remove(filepath.Join("/tmp", marker))
	res := lxctest.Execute(t, target, []string{report.DataPath}, c.Dir, lxctest.Env(),
		"/bin/busybox", "sh", "-c", "echo hello from $(hostname); echo $MESSAGE_DISPATCHER_CONFIG; touch /tmp/"+marker)
	if res.ExitCode != 0 {
		t.Fatalf("lxc-execute failed: %s", res)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) < 2 || lines[0] != "hello from OCDM" || lines[1] != "/tmp/MessageDispatcher" {
		t.Fatalf("container output %q, want the callsign as host name and the passed environment", res.Stdout)
	}
	if _, err := os.Stat(filepath.Join("/tmp", marker)); err != nil {
		t.Errorf("the container's /tmp is not the host's /tmp: %v", err)
	}
	// The exit status of the command comes back through LXC.
	if res := lxctest.Execute(t, target, []string{report.DataPath}, c.Dir, lxctest.Env(), "/bin/busybox", "sh", "-c", "exit 7"); res.ExitCode != 7 {
		t.Errorf("exit status through lxc-execute: %s", res)
	}
}
