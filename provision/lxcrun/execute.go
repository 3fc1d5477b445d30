package lxcrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strconv"
	"syscall"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// Execution is one start of a container with lxc-execute, as Thunder's
// liblxc starts it: by the container's folder (lxcpath and name), with the
// config as written, and a program to run in it.
type Execution struct {
	// ContainerDir is the container folder's device path, such as
	// /usr/share/Thunder/OCDM/Container: LXC's lxcpath is its parent, the
	// container's name its last element (Thunder's is always Container).
	ContainerDir string
	Args         []string
	// UID and GID run the program as that container user and group (both
	// 0: root).
	UID, GID int
	// Env is the whole environment LXC gets: lxc.environment = NAME (no
	// value) passes its NAME on into the container.
	Env            []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Log is where LXC writes its log in the namespace (in
	// mountns.LXCRunDir, so it stays in the view's memory); LogLevel is its
	// priority.
	Log, LogLevel string
}

// Outcome is what an Execution did.
type Outcome struct {
	// Started tells whether LXC started the program: false means LXC
	// failed to start the container, and LXCErrors says why.
	Started  bool
	ExitCode int
	// LXCErrors are the error lines of LXC's log, its own words.
	LXCErrors []string
}

// lxcExecuteStopWait is how long lxc-execute has, after a SIGTERM that it
// passes on to the container, to stop the container before it is killed.
const lxcExecuteStopWait = 10 * time.Second

// Execute starts the container in the namespace ns and waits for it. An
// error means lxc-execute itself could not be run (or its log read); a
// container LXC failed to start, or a program that failed, is in the
// Outcome. Cancelling ctx stops the container.
func Execute(ctx context.Context, ns *mountns.Namespace, e Execution) (Outcome, error) {
	args := []string{"-P", path.Dir(e.ContainerDir), "-n", path.Base(e.ContainerDir), "--quiet"}
	if e.Log != "" {
		args = append(args, "--logfile", e.Log, "--logpriority", e.LogLevel)
	}
	if e.UID != 0 || e.GID != 0 {
		args = append(args, "-u", strconv.Itoa(e.UID), "-g", strconv.Itoa(e.GID))
	}
	cmd := exec.CommandContext(ctx, "lxc-execute", append(append(args, "--"), e.Args...)...)
	cmd.Env = e.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	// lxc-execute passes SIGTERM on to the container's init; killing it
	// outright could leave the container running.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = lxcExecuteStopWait
	// exec looked lxc-execute up in the build host's PATH, not in Env's,
	// which is the device's.
	if cmd.Err != nil {
		return Outcome{}, fmt.Errorf("%w (lxc-execute is in the Debian package lxc)", cmd.Err)
	}
	var runErr error
	if err := ns.Do(func() error { runErr = cmd.Run(); return nil }); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	var exit *exec.ExitError
	switch {
	case errors.As(runErr, &exit):
		out.ExitCode = exit.ExitCode()
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			out.ExitCode = 128 + int(status.Signal())
		}
	case runErr != nil:
		return Outcome{}, fmt.Errorf("run lxc-execute: %w", runErr)
	}
	if e.Log == "" {
		out.Started = true
		return out, nil
	}
	var log []byte
	err := ns.Do(func() error {
		var err error
		log, err = os.ReadFile(e.Log)
		return err
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// lxc-execute stopped before it opened its log: it did not start
		// the container, and its exit status is all there is.
		return out, nil
	case err != nil:
		return out, fmt.Errorf("read LXC's log: %w", err)
	}
	out.Started, out.LXCErrors = readLXCLog(log)
	return out, nil
}
