package lxctest

import (
	"sync"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/hostview"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/lxcrun"
)

var (
	grantMu sync.Mutex
	// grants holds, per test, the host ranges root needs: uid, then gid.
	grants = map[testing.TB]*[2][]lxc.Range{}
)

// GrantRoot lets the containers this test starts with Execute use the host
// ranges of m: LXC started by root goes through newuidmap and newgidmap when
// they are installed, and they refuse ranges /etc/subuid and /etc/subgid do
// not grant root. The build host's files are never changed: Execute shows
// LXC copies of them with the missing lines added, in its private mount
// namespace.
func GrantRoot(t testing.TB, m lxc.IDMap) {
	t.Helper()
	uid, gid := m.HostRanges()
	grantMu.Lock()
	defer grantMu.Unlock()
	need, ok := grants[t]
	if !ok {
		need = &[2][]lxc.Range{}
		grants[t] = need
		t.Cleanup(func() {
			grantMu.Lock()
			defer grantMu.Unlock()
			delete(grants, t)
		})
	}
	need[0] = append(need[0], uid...)
	need[1] = append(need[1], gid...)
}

// showGrants makes v show /etc/subuid and /etc/subgid with the grants
// the test asked for (lxcrun.ShowGrants).
func showGrants(t testing.TB, v *hostview.View) {
	t.Helper()
	grantMu.Lock()
	need := grants[t]
	grantMu.Unlock()
	if need == nil {
		return
	}
	notes, err := lxcrun.ShowGrants(v.View, need[0], need[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Log(n)
	}
}
