// Package lxctest starts provisioned containers with the real LXC tools of
// the build host, for end-to-end tests. The target's data path is made to
// appear at its device path in a private mount namespace, so the config's
// device paths work unchanged, and nothing the containers or LXC write
// reaches the host (see hostview).
package lxctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/hostview"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxcrun"
	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// NeedLXC skips a test that starts containers, saying what is missing.
func NeedLXC(t testing.TB) {
	t.Helper()
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "lxc-execute", "lxc")
	treetest.NeedTool(t, "unshare", "util-linux")
}

// UniqueDevicePath returns a device path in the folder dir (one every build
// host has, such as /var/log) named name plus a random suffix, so no host
// has it: the folder exists only in the target and in the private view
// Execute gives LXC, and a test that needs it missing finds it missing.
func UniqueDevicePath(dir, name string) string {
	return path.Join(dir, name+"-"+strings.ToLower(rand.Text()[:8]))
}

// Result is what a command in the container did.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	// LXCErrors are LXC's error lines when it failed to start the container.
	LXCErrors []string
}

// Execute runs cmd in the container whose folder is containerDir (a device
// path such as /usr/share/Thunder/OCDM/Container) of the target, with
// lxc-execute, as Thunder's host process would start it. binds are the
// device paths to bind from the target (the data path, shared folders):
// bound as they are, so the test sees what the container wrote there. env
// is the environment LXC gets (lxc.environment entries without a value
// inherit from it).
func Execute(t testing.TB, target string, binds []string, containerDir string, env []string, cmd ...string) Result {
	t.Helper()
	return ExecuteAs(t, 0, 0, target, binds, containerDir, env, cmd...)
}

// ExecuteAs is Execute with the command run as container uid and gid
// (lxc-execute -u/-g); 0 and 0 is root.
func ExecuteAs(t testing.TB, uid, gid int, target string, binds []string, containerDir string, env []string, cmd ...string) Result {
	t.Helper()
	view := hostview.New(t)
	for _, dir := range binds {
		view.Bind(filepath.Join(target, dir), dir)
	}
	view.Scratch(mountns.LXCRunDir)
	// The tests' containers have networks of their own (lxc.net.0.type =
	// empty); a private one for LXC keeps the command sockets of two test
	// runs at once apart.
	view.PrivateNetwork()
	showGrants(t, view)
	var stdout, stderr bytes.Buffer
	out, err := lxcrun.Execute(context.Background(), view.Enter(), lxcrun.Execution{
		ContainerDir: containerDir, Args: cmd, UID: uid, GID: gid, Env: env,
		Stdout: &stdout, Stderr: &stderr,
		Log: path.Join(mountns.LXCRunDir, "lxctest.log"), LogLevel: lxcrun.LogLevel,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: out.ExitCode, LXCErrors: out.LXCErrors}
	if !out.Started && res.ExitCode == 0 {
		t.Fatalf("lxc-execute exited 0 without starting the container: %s", res)
	}
	return res
}

// Env is the environment Thunder would give LXC on the device: PATH and
// MESSAGE_DISPATCHER_CONFIG set (LXC 5 refuses lxc.environment = NAME for an
// unset NAME), plus extra NAME=VALUE entries.
func Env(extra ...string) []string {
	return append([]string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"MESSAGE_DISPATCHER_CONFIG=/tmp/MessageDispatcher",
	}, extra...)
}

// String describes a result for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s\nLXC's errors:\n%s", r.ExitCode, r.Stdout, r.Stderr, strings.Join(r.LXCErrors, "\n"))
}

// BuildUnixConnect builds the static unixconnect program to the file out, for
// use inside a container.
func BuildUnixConnect(t testing.TB, out string) {
	t.Helper()
	c := exec.Command("go", "build", "-o", out, "./internal/lxctest/unixconnect")
	c.Dir = treetest.RepoRoot(t)
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("build unixconnect: %v\n%s", err, b)
	}
}
