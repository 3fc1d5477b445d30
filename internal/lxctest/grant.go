package lxctest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/hostview"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// subIDFiles are the files newuidmap and newgidmap read root's grants from.
var subIDFiles = []string{"/etc/subuid", "/etc/subgid"}

var (
	grantMu sync.Mutex
	// grants holds, per test, the host ranges root needs in each of
	// subIDFiles.
	grants = map[testing.TB]map[string][]lxc.Range{}
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
		need = map[string][]lxc.Range{}
		grants[t] = need
		t.Cleanup(func() {
			grantMu.Lock()
			defer grantMu.Unlock()
			delete(grants, t)
		})
	}
	need["/etc/subuid"] = append(need["/etc/subuid"], uid...)
	need["/etc/subgid"] = append(need["/etc/subgid"], gid...)
}

// showGrants makes v show each of subIDFiles as the host's file plus the
// lines granting root what the test asked for and the host's file lacks.
func showGrants(t testing.TB, v *hostview.View) {
	t.Helper()
	grantMu.Lock()
	need := grants[t]
	grantMu.Unlock()
	for _, file := range subIDFiles {
		if len(need[file]) == 0 {
			continue
		}
		content, err := os.ReadFile(file)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		missing, err := lxc.MissingGrants(content, need[file])
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(missing) == 0 {
			continue
		}
		shown := filepath.Join(t.TempDir(), filepath.Base(file))
		if err := os.WriteFile(shown, lxc.AddGrants(content, missing), 0o644); err != nil {
			t.Fatal(err)
		}
		v.BindFile(shown, file)
		t.Logf("the container's mount namespace shows %s with root also granted %s", file, strings.Join(missing, ", "))
	}
}
