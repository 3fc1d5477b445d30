package thundere2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// Thunder is a running Thunder.
type Thunder struct {
	Device *Device
	// Tmp is the folder of the test that is the device's /tmp.
	Tmp string
	cmd *exec.Cmd
	// Pid is Thunder's process ID on the host.
	Pid int
	// Log is the file that has Thunder's standard output and error.
	Log    string
	netns  string
	exited chan error
	client *http.Client
	// cgroups are LXC's cgroups before Thunder started.
	cgroups []string
}

// StartOptions says how to start Thunder.
type StartOptions struct {
	// Volatile are more device folders that are a tmpfs on the device
	// (such as a volatile path other than /tmp), each shown as a new
	// folder of the test. The device's /tmp always is (Thunder.Tmp).
	Volatile []string
	// Args are Thunder's options after -c CONFIG; default -b (in the
	// background, as on a device: messages stay in Thunder's buffers).
	Args []string
}

// Start starts Thunder on the device (see BootIfAsked), waits until it
// answers JSON-RPC and stops it when the test ends.
func Start(t testing.TB, d *Device, opts StartOptions) *Thunder {
	t.Helper()
	becomeSubreaper(t)
	args := opts.Args
	if args == nil {
		args = []string{"-b"}
	}
	spec := bootSpec{
		Device: d.Dir,
		Argv:   append([]string{d.Release.Program, "-c", d.Release.Config}, args...),
		Env:    []string{"PATH=" + thunder.DevicePATH, "HOME=/root"},
	}
	th := &Thunder{Device: d, Log: filepath.Join(t.TempDir(), "thunder.log"), exited: make(chan error, 1), cgroups: lxcCgroups()}
	th.Tmp = runTimeFolder(t)
	spec.Binds = append(spec.Binds, bind{Host: th.Tmp, Device: "/tmp"})
	for _, dir := range opts.Volatile {
		spec.Binds = append(spec.Binds, bind{Host: runTimeFolder(t), Device: dir})
	}
	text, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(th.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// The test binary again, which BootIfAsked turns into Thunder.
	th.cmd = exec.Command(os.Args[0], "-test.run=^$")
	th.cmd.Env = append(os.Environ(), bootVar+"="+string(text))
	th.cmd.Stdout, th.cmd.Stderr = log, log
	// No Pdeathsig: it follows the thread that started the child, and
	// dialIn ends threads.
	th.cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: unix.CLONE_NEWNS | unix.CLONE_NEWNET}
	if err := th.cmd.Start(); err != nil {
		t.Fatalf("start Thunder's launcher: %v", err)
	}
	th.Pid = th.cmd.Process.Pid
	th.netns = fmt.Sprintf("/proc/%d/ns/net", th.Pid)
	// The namespace file is opened for each connection: it stays valid as
	// long as Thunder runs.
	th.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialIn(ctx, th.netns, network, addr)
		},
	}}
	go func() { th.exited <- th.cmd.Wait() }()
	t.Cleanup(func() { th.Stop(t) })
	th.waitReady(t)
	return th
}

// waitReady waits until Thunder answers JSON-RPC.
func (th *Thunder) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := th.Call("Controller.1.subsystems", nil)
		if err == nil {
			return
		}
		select {
		case werr := <-th.exited:
			th.exited <- werr
			t.Fatalf("Thunder exited before it answered (%v):\n%s", werr, th.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Thunder did not answer JSON-RPC within a minute (%v):\n%s", err, th.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Output is what Thunder wrote on its standard output and error so far.
func (th *Thunder) Output() string {
	data, _ := os.ReadFile(th.Log)
	return string(data)
}

// RPCError is a JSON-RPC error answer.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// Call calls a JSON-RPC method (such as "Controller.1.activate") with params
// (nil: none) and returns its result. A JSON-RPC error is an *RPCError.
func (th *Thunder) Call(method string, params any) (json.RawMessage, error) {
	request := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		request["params"] = params
	}
	body, err := json.Marshal(request)
	if err != nil {
		return nil, err
	}
	resp, err := th.client.Post(fmt.Sprintf("http://127.0.0.1:%d/jsonrpc", Port), "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, fmt.Errorf("%s: HTTP %s, not a JSON-RPC answer: %q", method, resp.Status, data)
	}
	if answer.Error != nil {
		return nil, answer.Error
	}
	return answer.Result, nil
}

// Stop stops Thunder as its init system would (SIGTERM: a regular
// shutdown that deactivates the plugins and so stops their containers),
// kills it when it has not ended within 30 s, and then kills whatever it
// left running (an LXC monitor, a container) and removes the cgroups LXC
// left. Whatever: every process below the test's, so a test runs one
// Thunder at a time (and tests of this package do not run in parallel).
func (th *Thunder) Stop(t testing.TB) {
	t.Helper()
	select {
	case err := <-th.exited:
		th.exited <- err
	default:
		// The plugin first, so that its container stops while Thunder is
		// whole; an error means it was not active.
		th.Call("Controller.1.deactivate", map[string]string{"callsign": Callsign})
		th.cmd.Process.Signal(unix.SIGTERM)
		select {
		case err := <-th.exited:
			t.Logf("Thunder stopped: %v; its output ends:\n%s", err, tail(th.Output(), 1500))
			th.exited <- err
		case <-time.After(30 * time.Second):
			t.Errorf("Thunder did not stop within 30 s of SIGTERM: killed")
			th.cmd.Process.Kill()
			th.exited <- <-th.exited
		}
	}
	if left := killDescendants(); len(left) > 0 {
		t.Logf("killed what Thunder left running: %s", strings.Join(left, ", "))
	}
	removeNewCgroups(th.cgroups)
}

// dialIn connects from within the network namespace ns (a /proc/PID/ns/net
// file). The socket is made on a thread moved into that namespace; the
// thread is never given back to other goroutines (it stays locked, so it
// ends with this goroutine), while the socket keeps its namespace.
func dialIn(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	type dialed struct {
		conn net.Conn
		err  error
	}
	result := make(chan dialed, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(ns)
		if err != nil {
			result <- dialed{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			result <- dialed{nil, fmt.Errorf("enter Thunder's network namespace: %w", err)}
			return
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, addr)
		result <- dialed{conn, err}
	}()
	r := <-result
	return r.conn, r.err
}

// runTimeFolder is a new folder of the test for a device folder that is a
// tmpfs on the device: empty, mode 1777 like /tmp.
func runTimeFolder(t testing.TB) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// LXCLog is the end of LXC's log, which the device's Thunder config has
// LXC write to /tmp/lxc (NewDevice); WPEFramework R4 writes it to its
// volatile path, /tmp.
func (th *Thunder) LXCLog() string {
	data, err := os.ReadFile(filepath.Join(th.Tmp, "lxc", "lxclogging.log"))
	if err != nil {
		data, _ = os.ReadFile(filepath.Join(th.Tmp, "lxclogging.log"))
	}
	return tail(string(data), 8000)
}

// OnDevice runs a shell command on the device beside Thunder, as a person
// logged in there would: in Thunder's mount and network namespaces, with
// the device as root, PATH set and nothing else.
func (th *Thunder) OnDevice(command string) (string, error) {
	cmd := exec.Command("nsenter", "-t", fmt.Sprint(th.Pid), "-m", "-n", "-r", "-w", "--",
		"/usr/bin/env", "-i", "PATH="+thunder.DevicePATH, "/bin/sh", "-c", command)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tail is the last n bytes of text, from a line's start.
func tail(text string, n int) string {
	if len(text) <= n {
		return text
	}
	text = text[len(text)-n:]
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	}
	return text
}
