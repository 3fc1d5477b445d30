package lxcrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/mountns"
)

// Options says which container to start and what to run in it.
type Options struct {
	// Target is the build-host folder holding the device's root
	// filesystem; Layout is auto, thunder or wpeframework.
	Target, Layout string
	Callsign       string
	// Command runs in the container; empty runs the smoke test.
	Command []string
	// Env holds NAME=VALUE entries added to the environment Thunder gives
	// LXC (replacing PATH or MESSAGE_DISPATCHER_CONFIG when so named).
	Env []string
	// Stdin, Stdout and Stderr are the command's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// ErrNeedsRoot means run was not started by root.
var ErrNeedsRoot = errors.New("starting a container on the build host needs root (for LXC's ID maps and the private mount namespace)")

// ErrNoShell means the smoke test cannot run: the rootfs has no shell.
var ErrNoShell = errors.New("no shell in the rootfs")

// Run starts the plugin's container the way Thunder would on the device
// and runs the command, or the smoke test, in it. An error means it could
// not be started at all (no such plugin or container, no emulator for the
// rootfs, no privileges); a container LXC failed to start, and failed
// checks, are in the report, whose OK is then false.
func Run(ctx context.Context, opts Options) (*Report, error) {
	began := time.Now()
	// LXC's ID maps and the view's mounts need root; say so before
	// anything else can fail for want of it.
	if os.Geteuid() != 0 {
		return nil, ErrNeedsRoot
	}
	c, err := openContainer(opts.Target, opts.Layout, opts.Callsign)
	if err != nil {
		return nil, err
	}
	defer c.close()
	r := &Report{
		Target: opts.Target, Callsign: opts.Callsign, Layout: c.layout.Name,
		Container: c.dir, Rootfs: c.rootfsPath,
		Environment: thunderEnvironment(c.processes, opts.Env),
		Command:     append([]string{}, opts.Command...),
		LXCErrors:   []string{}, Checks: []Check{}, Notes: []string{},
	}
	if r.Emulation, err = FindEmulation(c.rootfs); err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 {
		if _, err := inroot.Stat(c.rootfs, smokeShell); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: the smoke test runs %s in the container, and its rootfs %s has none", ErrNoShell, smokeShell, c.rootfsPath)
		}
	} else if prog := opts.Command[0]; path.IsAbs(prog) {
		// LXC's init would only exit 255, its reason silenced with LXC's.
		if _, err := inroot.Stat(c.rootfs, prog); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not in the container's rootfs %s", prog, c.rootfsPath)
		}
	}
	dv, err := c.deviceView()
	if err != nil {
		return nil, err
	}
	r.View, r.Notes = dv.Describe(), append(r.Notes, dv.notes...)
	ns, err := dv.Enter()
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	s := &session{ns: ns, c: c, env: r.Environment}
	if len(opts.Command) > 0 {
		err = s.command(ctx, r, opts)
	} else {
		err = s.smoke(ctx, r, dv.markers)
	}
	r.Seconds = time.Since(began).Seconds()
	return r, err
}

// session is one run's namespace and what every start in it shares.
type session struct {
	ns   *mountns.Namespace
	c    *container
	env  []string
	logs int
}

// start runs one lxc-execute of the container as the given user.
func (s *session) start(ctx context.Context, user containerUser, args []string, stdin io.Reader, stdout, stderr io.Writer) (Outcome, error) {
	s.logs++
	return Execute(ctx, s.ns, Execution{
		ContainerDir: s.c.dir, Args: args, UID: user.uid, GID: user.gid, Env: s.env,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Log: path.Join(mountns.LXCRunDir, fmt.Sprintf("thunder-lxc-%d.log", s.logs)), LogLevel: LogLevel,
	})
}

func (s *session) command(ctx context.Context, r *Report, opts Options) error {
	out, err := s.start(ctx, containerUser{}, opts.Command, opts.Stdin, opts.Stdout, opts.Stderr)
	if err != nil {
		return err
	}
	r.Started, r.ExitCode, r.LXCErrors = out.Started, out.ExitCode, nonNil(out.LXCErrors)
	r.Checks = append(r.Checks, startCheck(out))
	r.OK = out.Started && out.ExitCode == 0
	return nil
}

// smoke runs the smoke test: as container root, the hosting process on
// PATH, the rootfs writable, the run-time folders mounted and the shares
// as root; then the shares as each other user the ID map tells apart.
func (s *session) smoke(ctx context.Context, r *Report, markers map[string]string) error {
	var probes []probe
	if prog := s.c.layout.HostProcess; prog != "" {
		probes = append(probes, probe{"onpath", CheckHostProcess, prog})
	}
	probes = append(probes, probe{"write", CheckRootfs, "/"})
	folders := s.c.runtimeFolders()
	for i, dir := range folders {
		probes = append(probes, probe{"exists", fmt.Sprintf("folder%d", i), markers[dir]})
	}
	shares := s.c.shareProbes()
	byUser := map[containerUser][]int{} // indexes into shares
	var users []containerUser
	for i, p := range shares {
		u := containerUser{p.UID, p.GID}
		if _, seen := byUser[u]; !seen {
			users = append(users, u)
		}
		byUser[u] = append(byUser[u], i)
	}
	shareProbe := func(i int) probe { return probe{"write", fmt.Sprintf("share%d", i), shares[i].Path} }
	for _, i := range byUser[containerUser{}] {
		probes = append(probes, shareProbe(i))
	}

	var stdout, stderr boundedBuffer
	out, err := s.start(ctx, containerUser{}, smokeArgs(probes), nil, &stdout, &stderr)
	if err != nil {
		return err
	}
	r.Started, r.ExitCode, r.LXCErrors = out.Started, out.ExitCode, nonNil(out.LXCErrors)
	r.Checks = append(r.Checks, startCheck(out))
	if !out.Started {
		return nil
	}
	output := stdout.String() + stderr.String()
	answers := readAnswers(stdout.String())
	if prog := s.c.layout.HostProcess; prog != "" {
		r.Checks = append(r.Checks, hostProcessCheck(prog, answers[CheckHostProcess], output))
	}
	r.Checks = append(r.Checks, rootfsCheck(s.c.rootfsPath, answers[CheckRootfs], output))
	r.Checks = append(r.Checks, volatileCheck(folders[0], answers["folder0"], output))
	r.Checks = append(r.Checks, s.communicatorCheck(folders, answers, output))
	results := make([]Check, len(shares))
	for _, i := range byUser[containerUser{}] {
		a, ok := answers[fmt.Sprintf("share%d", i)]
		results[i] = shareCheck(shares[i], a, ok, output)
	}
	for _, u := range users {
		if u == (containerUser{}) {
			continue
		}
		var probes []probe
		for _, i := range byUser[u] {
			probes = append(probes, shareProbe(i))
		}
		var stdout, stderr boundedBuffer
		out, err := s.start(ctx, u, smokeArgs(probes), nil, &stdout, &stderr)
		if err != nil {
			return err
		}
		answers := readAnswers(stdout.String())
		for _, i := range byUser[u] {
			a, ok := answers[fmt.Sprintf("share%d", i)]
			if !out.Started {
				a, ok = probeAnswer{}, false
			}
			results[i] = shareCheck(shares[i], a, ok, stdout.String()+stderr.String()+strings.Join(out.LXCErrors, "\n"))
		}
	}
	r.Checks = append(r.Checks, results...)
	r.OK = r.Failed() == 0
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// boundedBuffer keeps the first maxOutput bytes written to it: the smoke
// test's answers are short, and a shell gone wrong must not fill memory.
type boundedBuffer struct{ bytes.Buffer }

const maxOutput = 64 << 10

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
