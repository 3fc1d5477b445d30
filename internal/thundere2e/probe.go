package thundere2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Whereabouts is where a process runs, as the test plugin reports it
// (testdata/thunder-probe/Whereabouts.h).
type Whereabouts struct {
	Pid      int    `json:"pid"`
	UID      int    `json:"uid"`
	GID      int    `json:"gid"`
	Hostname string `json:"hostname"`
	Exe      string `json:"exe"`
	MountNS  string `json:"mntns"`
	UserNS   string `json:"userns"`
	PidNS    string `json:"pidns"`
	UtsNS    string `json:"utsns"`
	NetNS    string `json:"netns"`
	// Wrote is the file the plugin's config asked to write, or why it
	// could not be written ("FILE: error").
	Wrote string `json:"wrote"`
}

// Where is Probe.1.where's answer: the plugin's out-of-process part and
// Thunder.
type Where struct {
	Plugin  Whereabouts `json:"plugin"`
	Thunder Whereabouts `json:"thunder"`
}

// Activate activates the test plugin and asks it where its parts run.
func (th *Thunder) Activate(t testing.TB) Where {
	t.Helper()
	if err := th.TryActivate(); err != nil {
		t.Fatalf("activate %s: %v\nThunder's output:\n%s\nLXC's log:\n%s", Callsign, err, th.Output(), th.LXCLog())
	}
	result, err := th.Call(Callsign+".1.where", nil)
	if err != nil {
		t.Fatalf("%s.1.where: %v", Callsign, err)
	}
	var w Where
	if err := json.Unmarshal(result, &w); err != nil {
		t.Fatalf("%s.1.where answered %s: %v", Callsign, result, err)
	}
	return w
}

// TryActivate activates the test plugin and returns Thunder's error.
func (th *Thunder) TryActivate() error {
	_, err := th.Call("Controller.1.activate", map[string]string{"callsign": Callsign})
	return err
}

// Messages returns the message texts that reached Thunder's message
// buffers so far, as the plugin reads them.
func (th *Thunder) Messages(t testing.TB) []string {
	t.Helper()
	result, err := th.Call(Callsign+".1.messages", nil)
	if err != nil {
		t.Fatalf("%s.1.messages: %v", Callsign, err)
	}
	var list struct {
		Texts []string `json:"texts"`
	}
	if err := json.Unmarshal(result, &list); err != nil {
		t.Fatalf("%s.1.messages answered %s: %v", Callsign, result, err)
	}
	return list.Texts
}

// WaitForMessage waits up to within for a message containing text and
// tells whether it came.
func (th *Thunder) WaitForMessage(t testing.TB, text string, within time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		for _, m := range th.Messages(t) {
			if strings.Contains(m, text) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// HostProcess is a process as the build host sees it.
type HostProcess struct {
	Pid int
	// UID and GID are its real IDs on the host.
	UID, GID int
	// Program is its argv[0].
	Program string
}

// FindHostProcess finds, among the host's processes, the one the plugin's
// report w describes: the program name given, in the mount namespace w
// names (namespace numbers are the same from everywhere).
func FindHostProcess(t testing.TB, w Whereabouts, program string) HostProcess {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
		if err != nil || ns != w.MountNS {
			continue
		}
		// The program as started: Thunder starts it by its bare name.
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		argv0, _, _ := strings.Cut(string(cmdline), "\x00")
		if path.Base(argv0) != program {
			continue
		}
		p := HostProcess{Pid: pid, Program: argv0}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			switch fields[0] {
			case "Uid:":
				p.UID, _ = strconv.Atoi(fields[1])
			case "Gid:":
				p.GID, _ = strconv.Atoi(fields[1])
			}
		}
		return p
	}
	t.Fatalf("no process %s of the host is in the mount namespace %s that the plugin reports", program, w.MountNS)
	return HostProcess{}
}
