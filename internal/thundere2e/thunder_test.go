package thundere2e

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

func TestMain(m *testing.M) {
	BootIfAsked()
	code := m.Run()
	RemoveTool()
	os.Exit(code)
}

// token is a text no message has by chance.
func token(what string) string { return what + "-" + strings.ToLower(rand.Text()[:10]) }

// assertWouldStart fails the test when verify finds an error.
func assertWouldStart(t *testing.T, d *Device) verify.Container {
	t.Helper()
	r := d.Verify(t)
	if !r.OK || len(r.Containers) != 1 {
		t.Fatalf("verify: %+v", r)
	}
	return r.Containers[0]
}

// assertInContainer checks, from the host, that the plugin's
// out-of-process part runs in a container of its own: another mount, PID
// and UTS namespace than Thunder, the callsign as host name, host IDs uid
// and gid. It returns the hosting process as the host sees it.
func assertInContainer(t *testing.T, th *Thunder, w Where, uid int) HostProcess {
	t.Helper()
	p, th5 := w.Plugin, w.Thunder
	if p.MountNS == th5.MountNS || p.PidNS == th5.PidNS || p.UtsNS == th5.UtsNS || p.NetNS == th5.NetNS {
		t.Errorf("the plugin shares namespaces with Thunder:\nplugin  %+v\nThunder %+v", p, th5)
	}
	if p.Hostname != Callsign || p.Pid != 1 || p.UID != 0 {
		t.Errorf("the plugin runs as pid %d, uid %d on host %q: want the container's init, its root, host name %s", p.Pid, p.UID, p.Hostname, Callsign)
	}
	host := FindHostProcess(t, p, th.Device.Release.HostProcess)
	if host.UID != uid || host.GID != uid {
		t.Errorf("the hosting process %d runs as host %d:%d, want %d:%d", host.Pid, host.UID, host.GID, uid, uid)
	}
	return host
}

// With the default ID map, Thunder runs the plugin's out-of-process part in
// its container, as host uid 100000 in a user namespace of its own; its log
// line reaches Thunder (provision opened the messaging folder), and the
// container can be looked at on the device as verify says.
func TestPluginRunsInContainerWithIDMap(t *testing.T) {
	in := NeedInputs(t, R5)
	say := token("idmap")
	d := NewDevice(t, in, ThunderR5, map[string]any{"say": say})
	out := d.Provision(t)
	if !strings.Contains(out, `messaging.path "MessageDispatcher" → "MessageDispatcher|0777"`) {
		t.Errorf("provision does not report opening the messaging folder:\n%s", out)
	}
	c := assertWouldStart(t, d)
	th := Start(t, d, StartOptions{})
	w := th.Activate(t)
	assertInContainer(t, th, w, 100000)
	if w.Plugin.UserNS == w.Thunder.UserNS {
		t.Errorf("the plugin shares Thunder's user namespace %s", w.Plugin.UserNS)
	}
	if !th.WaitForMessage(t, say, 10*time.Second) {
		t.Errorf("the plugin's log line %q never reached Thunder; messages: %q", say, th.Messages(t))
	}

	// verify's command shows the container running; without the variable
	// LXC refuses the config.
	out, err := th.OnDevice(c.Inspect)
	if err != nil || !strings.Contains(out, "RUNNING") {
		t.Errorf("%s on the device: %v\n%s", c.Inspect, err, out)
	}
	bare := "lxc-info -P " + filepath.Dir(d.ContainerDir()) + " -n Container"
	if out, err := th.OnDevice(bare); err == nil || !strings.Contains(out, "Failed to load config for Container") {
		t.Errorf("%s without MESSAGE_DISPATCHER_CONFIG: %v\n%s; want LXC to refuse the config", bare, err, out)
	}
}

// Without an ID map the container shares the host's users: the hosting
// process is host root, in Thunder's user namespace, and the messaging
// folder needs no change.
func TestPluginRunsInContainerWithoutIDMap(t *testing.T) {
	in := NeedInputs(t, R5)
	say := token("noidmap")
	d := NewDevice(t, in, ThunderR5, map[string]any{"say": say})
	config := d.ReadFile(t, d.Release.Config)
	d.Provision(t, "--no-idmap")
	if got := d.ReadFile(t, d.Release.Config); string(got) != string(config) {
		t.Errorf("provision --no-idmap changed %s:\n%s", d.Release.Config, got)
	}
	assertWouldStart(t, d)
	th := Start(t, d, StartOptions{})
	w := th.Activate(t)
	assertInContainer(t, th, w, 0)
	if w.Plugin.UserNS != w.Thunder.UserNS {
		t.Errorf("without an ID map the plugin has a user namespace of its own: %s, Thunder %s", w.Plugin.UserNS, w.Thunder.UserNS)
	}
	if !th.WaitForMessage(t, say, 10*time.Second) {
		t.Errorf("the plugin's log line %q never reached Thunder; messages: %q", say, th.Messages(t))
	}
}

// The guide's shared folder: with --keep-id 1000, a file the plugin writes
// in /TestLogging as its user 1000 is the host's user 1000's.
func TestSharedFolderWithKeptID(t *testing.T) {
	in := NeedInputs(t, R5)
	d := NewDevice(t, in, ThunderR5, map[string]any{"write": "/TestLogging/probe.log", "writeuid": 1000, "writegid": 1000})
	d.Provision(t, "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging")
	assertWouldStart(t, d)
	th := Start(t, d, StartOptions{})
	w := th.Activate(t)
	assertInContainer(t, th, w, 100000)
	if w.Plugin.Wrote != "/TestLogging/probe.log" {
		t.Fatalf("the plugin could not write its file: %s", w.Plugin.Wrote)
	}
	info, err := os.Stat(d.Path("/var/log/TestLogging/probe.log"))
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("/var/log/TestLogging/probe.log is the host's %d:%d, want 1000:1000", st.Uid, st.Gid)
	}
}

// A volatile path other than /tmp: the container shows it at its own path,
// and /tmp, where the communicator socket is, too. The mount thunder-lxc
// wrote before (the volatile path onto tmp) fails, as verify says.
func TestVolatilePathOtherThanTmp(t *testing.T) {
	in := NeedInputs(t, R5)
	say := token("volatile")
	d := NewDevice(t, in, ThunderR5, map[string]any{"say": say})
	d.SetConfig(t, "volatilepath", "/var/volatile")
	d.Provision(t)
	config := string(d.ReadFile(t, d.ContainerDir()+"/config"))
	for _, want := range []string{"lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\n", "lxc.mount.entry = /var/volatile var/volatile none bind,create=dir 0 0\n"} {
		if !strings.Contains(config, want) {
			t.Errorf("the container's config lacks %q:\n%s", want, config)
		}
	}
	assertWouldStart(t, d)
	th := Start(t, d, StartOptions{Volatile: []string{"/var/volatile"}})
	assertInContainer(t, th, th.Activate(t), 100000)
	if !th.WaitForMessage(t, say, 10*time.Second) {
		t.Errorf("the plugin's log line %q never reached Thunder; messages: %q", say, th.Messages(t))
	}
	th.Stop(t)

	old := strings.Replace(config, "lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\nlxc.mount.entry = /var/volatile var/volatile none",
		"lxc.mount.entry = /var/volatile tmp none", 1)
	d.WriteFile(t, d.ContainerDir()+"/config", []byte(old))
	if r := d.Verify(t); r.OK {
		t.Errorf("verify passes the volatile path mounted onto tmp: %+v", r)
	}
	th = Start(t, d, StartOptions{Volatile: []string{"/var/volatile"}})
	if err := th.TryActivate(); err == nil {
		t.Errorf("the plugin was activated with its volatile path mounted onto tmp")
	}
}

// With an ID map and a messaging folder Thunder makes root's 0755, the
// plugin's log line is lost, and verify says so; its console log (Thunder
// with -f) has it.
func TestMessagesLostWithoutTheEditAndInTheConsoleLog(t *testing.T) {
	in := NeedInputs(t, R5)
	say := token("lost")
	d := NewDevice(t, in, ThunderR5, map[string]any{"say": say})
	d.Provision(t, "--console-log", "/tmp/Probe.console")
	d.SetConfig(t, "messaging.path", "MessageDispatcher")
	c := assertWouldStart(t, d)
	if len(c.Findings) != 1 || c.Findings[0].Check != verify.CheckMessaging {
		t.Errorf("verify with the messaging folder closed: %+v, want one messaging note", c.Findings)
	}
	th := Start(t, d, StartOptions{})
	assertInContainer(t, th, th.Activate(t), 100000)
	if th.WaitForMessage(t, say, 5*time.Second) {
		t.Errorf("the plugin's log line reached Thunder through a folder it cannot write")
	}
	th.Stop(t)

	th = Start(t, d, StartOptions{Args: []string{"-f"}})
	th.Activate(t)
	var console []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if console, _ = os.ReadFile(filepath.Join(th.Tmp, "Probe.console")); strings.Contains(string(console), say) {
			return
		}
	}
	t.Errorf("the console log lacks the plugin's log line %q:\n%s", say, console)
}

// A device root the container's root cannot enter (WPEFramework R4.4's
// install leaves / at 0770): provision warns, verify names /, and Thunder
// indeed cannot start the container.
func TestDeviceRootContainerRootCannotEnter(t *testing.T) {
	in := NeedInputs(t, R5)
	d := NewDevice(t, in, ThunderR5, nil)
	if err := os.Chmod(d.Dir, 0o770); err != nil {
		t.Fatal(err)
	}
	if out := d.Provision(t); !strings.Contains(out, "/ (host owner 0:0, mode 0770) does not let the container's root (host uid 100000, gid 100000) enter it") {
		t.Errorf("provision does not warn about /:\n%s", out)
	}
	r := d.Verify(t)
	if r.OK || len(r.Containers) != 1 || len(r.Containers[0].Findings) != 1 || r.Containers[0].Findings[0].Check != verify.CheckTraversal || r.Containers[0].Findings[0].File != "/" {
		t.Errorf("verify: %+v; want one traversal error on /", r)
	}
	th := Start(t, d, StartOptions{})
	if err := th.TryActivate(); err == nil {
		t.Errorf("the plugin was activated although / stops the container's root")
	}
	if log := th.LXCLog(); !strings.Contains(log, "Could not access") {
		t.Errorf("LXC's log does not say why:\n%s", log)
	}
}
