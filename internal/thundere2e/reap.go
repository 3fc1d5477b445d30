package thundere2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var subreaper sync.Once

// becomeSubreaper makes this process the one that orphans of its
// descendants are given to: LXC's monitor detaches from Thunder, and
// should Thunder die, a container would otherwise outlive the test
// unseen. cleanUpAfter then finds them all.
func becomeSubreaper(t testing.TB) {
	var err error
	subreaper.Do(func() { err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
	if err != nil {
		t.Fatalf("become the subreaper of Thunder's processes: %v", err)
	}
}

// process is one line of the process table.
type process struct {
	pid, ppid int
	state     byte // R, S, Z, ...
	comm      string
}

// processes reads every process's parent and state from /proc/PID/stat.
func processes() map[int]process {
	all := map[int]process{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		text := string(stat)
		open, close := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(text[close+1:])
		if len(fields) < 2 || len(fields[0]) != 1 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		all[pid] = process{pid: pid, ppid: ppid, state: fields[0][0], comm: text[open+1 : close]}
	}
	return all
}

// descends tells whether pid is below ancestor.
func descends(pid, ancestor int, all map[int]process) bool {
	for seen := 0; pid > 1 && seen < len(all); seen++ {
		pid = all[pid].ppid
		if pid == ancestor {
			return true
		}
	}
	return false
}

// reapChildren collects the exit status of every child that has ended
// (the orphans given to this subreaper, such as LXC's monitor), so none is
// left a zombie that keeps its cgroup busy.
func reapChildren() {
	for {
		var status unix.WaitStatus
		pid, err := unix.Wait4(-1, &status, unix.WNOHANG|unix.WALL, nil)
		if err != nil || pid <= 0 {
			return
		}
	}
}

// killDescendants kills every live process below this one (SIGKILL), reaps
// them, and names them ("1234 lxc-start").
func killDescendants() []string {
	reapChildren()
	self := os.Getpid()
	var killed []string
	for pid, p := range processes() {
		if p.state == 'Z' || !descends(pid, self, processes()) {
			continue
		}
		if unix.Kill(pid, unix.SIGKILL) == nil {
			killed = append(killed, fmt.Sprintf("%d %s", pid, p.comm))
		}
	}
	for deadline := time.Now().Add(5 * time.Second); len(killed) > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		reapChildren()
		if !hasDescendants(self) {
			break
		}
	}
	return killed
}

func hasDescendants(self int) bool {
	all := processes()
	for pid := range all {
		if descends(pid, self, all) {
			return true
		}
	}
	return false
}

// lxcCgroups lists the cgroups LXC makes for containers and their monitors
// (lxc.payload.NAME, lxc.monitor.NAME, with -N suffixes) at the top of
// every cgroup hierarchy.
func lxcCgroups() []string {
	var found []string
	for _, pattern := range []string{"/sys/fs/cgroup/lxc.payload.*", "/sys/fs/cgroup/lxc.monitor.*",
		"/sys/fs/cgroup/*/lxc.payload.*", "/sys/fs/cgroup/*/lxc.monitor.*"} {
		matches, _ := filepath.Glob(pattern)
		found = append(found, matches...)
	}
	return found
}

// removeNewCgroups removes the LXC cgroups that were not there before and
// are empty now. LXC's monitor cannot remove its own cgroup while it is in
// it ("Failed to destroy lxc.monitor.Container", measured with liblxc 5.0.2
// on a cgroup v1 host): on a device that is one empty folder per start of a
// container, which a test run must not leave on the build host. rmdir
// removes only an empty cgroup, so one of another run still in use stays.
func removeNewCgroups(before []string) {
	for _, dir := range lxcCgroups() {
		if !slices.Contains(before, dir) {
			os.Remove(dir)
		}
	}
}
