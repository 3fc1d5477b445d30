package lxcrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// The smoke script, run by busybox's sh as in a container's rootfs,
// answers every probe, one line each.
func TestSmokeScriptAnswersEachProbe(t *testing.T) {
	busybox := treetest.NeedTool(t, "busybox", "busybox-static")
	dir := t.TempDir()
	existing := filepath.Join(dir, "marker")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	hostProcess := filepath.Join(bin, "ThunderPlugin")
	if err := os.WriteFile(hostProcess, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := smokeArgs([]probe{
		{"onpath", "found", "ThunderPlugin"},
		{"onpath", "lost", "thunder-lxc-no-such-program"},
		{"write", "writable", dir},
		{"write", "nowhere", filepath.Join(dir, "missing")},
		{"exists", "there", existing},
		{"exists", "gone", filepath.Join(dir, "gone")},
	})
	if args[0] != smokeShell {
		t.Fatalf("the smoke test runs %s, not %s", args[0], smokeShell)
	}
	c := exec.Command(busybox, append([]string{"sh"}, args[1:]...)...)
	c.Env = []string{"PATH=" + filepath.Dir(busybox) + ":" + bin}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("smoke script: %v\n%s", err, out)
	}
	a := readAnswers(string(out))
	want := map[string]bool{"found": true, "lost": false, "writable": true, "nowhere": false, "there": true, "gone": false}
	for name, ok := range want {
		got, answered := a[name]
		if !answered || got.ok != ok {
			t.Errorf("probe %s: answered %v, ok %v; want ok %v\n%s", name, answered, got.ok, ok, out)
		}
	}
	if a["found"].detail != hostProcess || !strings.Contains(a["lost"].detail, "PATH=") || !strings.Contains(a["nowhere"].detail, "missing") {
		t.Errorf("details: found %q, lost %q, nowhere %q", a["found"].detail, a["lost"].detail, a["nowhere"].detail)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the write probe left %d entries in its folder, want only the marker", len(entries))
	}
}

// Each class of container user the mode tells apart is probed, with a
// user whose IDs the map has.
func TestUsersToProbe(t *testing.T) {
	kept, err := lxc.NewIDMap(lxc.IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}})
	if err != nil {
		t.Fatal(err)
	}
	share := lxc.ExplainAccess(kept, lxc.Owner{UID: 1000, GID: 1000}, os.ModeDir|os.ModeSetgid|os.ModeSticky|0o770, false)
	if got := usersToProbe(share, kept, true); !slices.Equal(got, []classUser{
		{"root", containerUser{0, 0}}, {"owner", containerUser{1000, 1000}},
		{"group", containerUser{2000, 1000}}, {"other", containerUser{2000, 2000}},
	}) {
		t.Errorf("kept 1000, share 1000:1000: %v", got)
	}
	// A folder of host root under the map: nobody owns it in the container.
	unmapped := lxc.ExplainAccess(kept, lxc.Owner{UID: 0, GID: 0}, os.ModeDir|0o755, false)
	if got := usersToProbe(unmapped, kept, true); !slices.Equal(got, []classUser{
		{"root", containerUser{0, 0}}, {"other", containerUser{1000, 1000}},
	}) {
		t.Errorf("host root's folder: %v", got)
	}
	// No map: the host's IDs.
	privileged := lxc.ExplainAccess(lxc.IDMap{}, lxc.Owner{UID: 0, GID: 0}, os.ModeDir|0o755, false)
	if got := usersToProbe(privileged, lxc.IDMap{}, false); !slices.Equal(got, []classUser{
		{"root", containerUser{0, 0}}, {"group", containerUser{1000, 0}}, {"other", containerUser{1000, 1000}},
	}) {
		t.Errorf("no ID map: %v", got)
	}
}

func TestShareCheckComparesWithThePrediction(t *testing.T) {
	p := ShareProbe{Source: "/var/log/TestLogging", Path: "/TestLogging", UID: 2000, GID: 2000, Class: "other", Predicted: false}
	if c := shareCheck(p, probeAnswer{ok: false, detail: "Permission denied"}, true, ""); !c.OK || c.Share.Writable || !strings.Contains(c.Message, "cannot create files in /TestLogging (/var/log/TestLogging), as predicted") {
		t.Errorf("unwritable as predicted: %+v", c)
	}
	if c := shareCheck(p, probeAnswer{ok: true}, true, ""); c.OK || !strings.Contains(c.Message, "predicted it cannot") {
		t.Errorf("writable against the prediction: %+v", c)
	}
	if c := shareCheck(p, probeAnswer{}, false, "sh: not found"); c.OK || !strings.Contains(c.Message, "no answer (it said: sh: not found)") {
		t.Errorf("no answer: %+v", c)
	}
}

func TestThunderEnvironment(t *testing.T) {
	p := thunder.Processes{MessagingFolder: "/tmp/MessageDispatcher", MessagingSize: 20480}
	got := thunderEnvironment(p, []string{"PATH=/opt/bin", "LOG_LEVEL=3"})
	want := []string{"MESSAGE_DISPATCHER_CONFIG=/tmp/MessageDispatcher|md|0|1|20480", "PATH=/opt/bin", "LOG_LEVEL=3"}
	if !slices.Equal(got, want) {
		t.Errorf("environment %q, want %q", got, want)
	}
}
