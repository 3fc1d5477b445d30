package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

const thunderConfig = "/etc/Thunder/config.json"

// volatileElsewhere moves Thunder's volatile path of a provisioned sample
// target to /var/volatile, as an image's config.json may; its container's
// config, written for /tmp, is then rewritten by fn.
func volatileElsewhere(t *testing.T, target string, fn func(string) string) {
	t.Helper()
	edit(t, target, thunderConfig, replace(`"volatilepath": "/tmp"`, `"volatilepath": "/var/volatile"`))
	edit(t, target, configFile, fn)
}

func findingsOf(t *testing.T, r *verify.Report) []verify.Finding {
	t.Helper()
	if len(r.Containers) != 1 {
		t.Fatalf("report %+v: want one container", r)
	}
	return r.Containers[0].Findings
}

// The folders Thunder shares with the hosting process must each be
// mounted at its own path: the volatile path and, when the volatile path
// is not /tmp, the communicator socket's folder /tmp as well (measured
// with Thunder R5.3: either alone fails).
func TestSharedFoldersAtTheirOwnPaths(t *testing.T) {
	const tmpLine = "lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\n"
	for name, c := range map[string]struct {
		config   func(string) string
		checks   []string
		messages []string
	}{
		// What thunder-lxc wrote before: the volatile path onto tmp.
		"volatile path onto tmp": {
			config:   replace(tmpLine, "lxc.mount.entry = /var/volatile tmp none bind,create=dir 0 0\n"),
			checks:   []string{verify.CheckVolatileMount, verify.CheckCommunicatorMount},
			messages: []string{"onto tmp, another path", "communicator socket /tmp/communicator"},
		},
		"volatile path alone": {
			config:   replace(tmpLine, "lxc.mount.entry = /var/volatile var/volatile none bind,create=dir 0 0\n"),
			checks:   []string{verify.CheckCommunicatorMount},
			messages: []string{"no lxc.mount.entry bind-mounts /tmp onto tmp"},
		},
		"both": {
			config: replace(tmpLine, tmpLine+"lxc.mount.entry = /var/volatile var/volatile none bind,create=dir 0 0\n"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			target := provisioned(t, false)
			volatileElsewhere(t, target, c.config)
			fs := findingsOf(t, run(t, verify.Options{Target: target}))
			if len(fs) != len(c.checks) {
				t.Fatalf("want %d findings (%v), got:\n%s", len(c.checks), c.checks, list(fs))
			}
			for i, f := range fs {
				if f.Severity != verify.SeverityError || f.Check != c.checks[i] || f.File != configFile || !strings.Contains(f.Message, c.messages[i]) {
					t.Errorf("finding %s\nwant error %s mentioning %q", f, c.checks[i], c.messages[i])
				}
			}
		})
	}
}

// A folder on the way to the rootfs that the container's root cannot
// enter (/ at 0770, as WPEFramework R4.4's install leaves it) stops an
// ID-mapped container, and verify names the folder; without an ID map
// container root is host root and passes.
func TestFolderOnTheWayThatContainerRootCannotEnter(t *testing.T) {
	for _, idmap := range []bool{true, false} {
		target := provisioned(t, idmap)
		if err := os.Chmod(target, 0o770); err != nil {
			t.Fatal(err)
		}
		r := run(t, verify.Options{Target: target})
		fs := findingsOf(t, r)
		if !idmap {
			if len(fs) != 0 {
				t.Errorf("without an ID map: %s", list(fs))
			}
			continue
		}
		if r.OK || len(fs) != 1 || fs[0].Check != verify.CheckTraversal || fs[0].File != "/" ||
			!strings.Contains(fs[0].Message, "/ (host owner 0:0, mode 0770) does not let the container's root (host uid 100000, gid 100000) enter it") ||
			!strings.Contains(fs[0].Message, "the rootfs "+rootfsDir) || !strings.Contains(fs[0].Fix, "chmod o+x /") {
			t.Errorf("want one traversal error on /, got:\n%s", list(fs))
		}
	}
}

// With an ID map, a messaging folder that the hosting process cannot write
// loses the plugin's messages: a note, which provision's own edit of
// config.json prevents.
func TestMessagingFolderClosedIsANote(t *testing.T) {
	target := provisioned(t, true)
	if data, _ := os.ReadFile(filepath.Join(target, thunderConfig)); !strings.Contains(string(data), "MessageDispatcher|0777") {
		t.Fatalf("provision did not open the messaging folder:\n%s", data)
	}
	edit(t, target, thunderConfig, replace("MessageDispatcher|0777", "MessageDispatcher"))
	r := run(t, verify.Options{Target: target})
	fs := findingsOf(t, r)
	if !r.OK || len(fs) != 1 || fs[0].Severity != verify.SeverityNote || fs[0].Check != verify.CheckMessaging || fs[0].File != thunderConfig ||
		!strings.Contains(fs[0].Message, "host uid 100000 and cannot create its message files in /tmp/MessageDispatcher") ||
		!strings.Contains(fs[0].Fix, `"MessageDispatcher|0777"`) {
		t.Errorf("want one messaging note, got:\n%s", list(fs))
	}
}

// verify says how to look at the container on the device: lxc-info with
// MESSAGE_DISPATCHER_CONFIG set, which LXC needs to read the config.
func TestVerifySaysHowToInspect(t *testing.T) {
	target := provisioned(t, true)
	r := run(t, verify.Options{Target: target})
	want := "MESSAGE_DISPATCHER_CONFIG='/tmp/MessageDispatcher|md|0|1|20480' lxc-info -P /usr/share/Thunder/OCDM -n Container"
	if got := r.Containers[0].Inspect; got != want {
		t.Errorf("inspect %q, want %q", got, want)
	}
	var text strings.Builder
	r.WriteText(&text)
	if !strings.Contains(text.String(), "  inspect it on the device: "+want+"\n") {
		t.Errorf("text report:\n%s", text.String())
	}
}
