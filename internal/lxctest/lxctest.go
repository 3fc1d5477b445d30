// Package lxctest starts provisioned containers with the real LXC tools of
// the build host, for end-to-end tests. The target's data path is made to
// appear at its device path with a bind mount in a private mount namespace,
// so the config's device paths work unchanged and the host's mounts are not
// touched.
package lxctest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// NeedLXC skips a test that starts containers, saying what is missing.
func NeedLXC(t testing.TB) {
	t.Helper()
	treetest.NeedRoot(t)
	treetest.NeedTool(t, "lxc-execute", "lxc")
	treetest.NeedTool(t, "unshare", "util-linux")
}

var grantMu sync.Mutex

// GrantRoot makes sure the build host's /etc/subuid and /etc/subgid grant
// root the host ranges of m: LXC started by root goes through newuidmap and
// newgidmap when they are installed, and they refuse ungranted ranges.
// Missing lines are appended (the tests may add them, never remove any).
func GrantRoot(t testing.TB, m lxc.IDMap) {
	t.Helper()
	grantMu.Lock()
	defer grantMu.Unlock()
	uid, gid := m.HostRanges()
	for file, need := range map[string][]lxc.Range{"/etc/subuid": uid, "/etc/subgid": gid} {
		content, err := os.ReadFile(file)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		missing, err := lxc.MissingGrants(content, need)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(missing) == 0 {
			continue
		}
		if err := os.WriteFile(file, lxc.AddGrants(content, missing), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("granted root in %s: %s", file, strings.Join(missing, ", "))
	}
}

// Result is what a command in the container did.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Execute runs cmd in the container whose folder is containerDir (a device
// path such as /usr/share/Thunder/OCDM/Container) of the target, with
// lxc-execute, as Thunder's host process would start it. binds are the
// device paths to bind from the target (the data path, shared folders). env
// is the environment LXC gets (lxc.environment entries without a value
// inherit from it).
func Execute(t testing.TB, target string, binds []string, containerDir string, env []string, cmd ...string) Result {
	t.Helper()
	return ExecuteAs(t, -1, -1, target, binds, containerDir, env, cmd...)
}

// ExecuteAs is Execute with the command run as container uid and gid
// (lxc-execute -u/-g); -1 keeps root.
func ExecuteAs(t testing.TB, uid, gid int, target string, binds []string, containerDir string, env []string, cmd ...string) Result {
	t.Helper()
	script := "set -e\nmount --make-rprivate /\n"
	var args []string
	for i, dir := range binds {
		if created := ensureMountpoint(t, dir); created != "" {
			t.Cleanup(func() { os.Remove(created) })
		}
		script += fmt.Sprintf("mount --bind \"$%d\" \"$%d\"\n", 2*i+1, 2*i+2)
		args = append(args, filepath.Join(target, dir), dir)
	}
	script += fmt.Sprintf("shift %d\nexec \"$@\"\n", 2*len(binds))
	args = append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh"}, args...)
	args = append(args, "lxc-execute", "-P", filepath.Dir(containerDir), "-n", filepath.Base(containerDir),
		"--logfile", filepath.Join(t.TempDir(), "lxc.log"), "--logpriority", "INFO")
	if uid >= 0 {
		args = append(args, "-u", fmt.Sprint(uid), "-g", fmt.Sprint(gid))
	}
	args = append(args, "--")
	c := exec.Command("unshare", append(args, cmd...)...)
	c.Env = env
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("start lxc-execute: %v", err)
	}
	return res
}

// ensureMountpoint creates the device data path on the build host when it
// is missing (an empty folder, removed after the test) so it can be a bind
// mount target; it returns the folder it created, if any.
func ensureMountpoint(t testing.TB, dir string) string {
	t.Helper()
	if _, err := os.Stat(dir); err == nil {
		return ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create mount point %s: %v", dir, err)
	}
	return dir
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
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
}

// BuildUnixConnect builds the static unixconnect program into dir/name, for
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
