package lxc

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// probeEnv tells the re-executed test binary to try the access and print it
// instead of testing (see TestMain).
const probeEnv = "THUNDER_LXC_ACCESS_PROBE"

// probeAccess is what the test binary does when TestAccessAgainstKernel
// runs it as a container user: it tries the access spec ("KIND:PATH")
// describes and prints what that user could do.
func probeAccess(spec string) {
	kind, path, _ := strings.Cut(spec, ":")
	var r, w, x bool
	switch kind {
	case "directory":
		if f, err := os.Open(path); err == nil {
			_, err = f.Readdirnames(-1)
			r = err == nil
			f.Close()
		}
		_, err := os.Lstat(filepath.Join(path, "inside"))
		x = err == nil
		name := filepath.Join(path, fmt.Sprintf("probe-%d", os.Getpid()))
		if f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
			w = os.Remove(name) == nil
		}
	case "file":
		if f, err := os.Open(path); err == nil {
			r = true
			f.Close()
		}
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w = true
			f.Close()
		}
		x = syscall.Access(path, 1) == nil // X_OK
	case "socket":
		if c, err := net.Dial("unix", path); err == nil {
			w = true
			c.Close()
		}
	}
	fmt.Printf("probe=%c%c%c\n", pick(r, 'r'), pick(w, 'w'), pick(x, 'x'))
}

// TestAccessAgainstKernel checks ExplainAccess's predictions against the
// kernel: real host objects, and the test binary re-run as container users
// in a user namespace with the same ID map (what LXC sets up, minus the rest
// of the container).
func TestAccessAgainstKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates objects owned by mapped IDs and user namespaces with any map")
	}
	// The users run the test binary, which go test keeps in a folder only
	// root may enter: copy it where they can.
	base, err := os.MkdirTemp("", "thunder-access-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(base, "probe.test")
	copyExecutable(t, probe)

	def := mustIDMap(t, DefaultIDMapRequest())
	k := keep1000(t)
	cases := []struct {
		name  string
		m     IDMap
		owner Owner
		mode  fs.FileMode
		kind  string
	}{
		{"guide folder 7770", def, Owner{100000, 100000}, fs.ModeDir | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o770, "directory"},
		{"kept 1000 folder 0755", k, Owner{1000, 1000}, fs.ModeDir | 0o755, "directory"},
		{"kept 1000 folder 0770", k, Owner{1000, 1000}, fs.ModeDir | 0o770, "directory"},
		{"folder with w but no x for others", k, Owner{1000, 1000}, fs.ModeDir | 0o776, "directory"},
		{"unmapped host root folder 0755", def, Owner{0, 0}, fs.ModeDir | 0o755, "directory"},
		{"unmapped host root folder 0777", def, Owner{0, 0}, fs.ModeDir | 0o777, "directory"},
		{"owner mapped, group not, 0057", def, Owner{100000, 0}, fs.ModeDir | 0o057, "directory"},
		{"owner unmapped, group mapped, 0070", def, Owner{0, 100000}, fs.ModeDir | 0o070, "directory"},
		{"socket 0777", k, Owner{1000, 1000}, 0o777, "socket"},
		{"socket 0775", k, Owner{1000, 1000}, 0o775, "socket"},
		{"socket unmapped owner 0775", def, Owner{0, 0}, 0o775, "socket"},
		{"file 0600 of container 1000", def, Owner{101000, 101000}, 0o600, "file"},
		{"file 0601 of container 1000", def, Owner{101000, 101000}, 0o601, "file"},
		{"file 0644 of unmapped root", def, Owner{0, 0}, 0o644, "file"},
		{"privileged, root file 0600", IDMap{}, Owner{0, 0}, 0o600, "file"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(base, fmt.Sprintf("obj%d", i))
			makeObject(t, path, c.owner, c.mode, c.kind)
			r := ExplainAccess(c.m, c.owner, c.mode, c.kind == "socket")
			users := []user{{0, []int{0}}, {2000, []int{2000}}, {65534, []int{65534}}}
			if r.OwnerMapped {
				users = append(users, user{r.ContainerUID, []int{r.ContainerUID}})
			}
			if r.GroupMapped {
				users = append(users, user{1500, []int{1500, r.ContainerGID}})
			}
			for _, u := range users {
				got := runProbe(t, probe, base, c.m, u, c.kind, path)
				p := r.For(u.uid, u.gids...)
				want := string([]byte{pick(p.Read, 'r'), pick(p.Write, 'w'), pick(p.Execute, 'x')})
				if c.kind == "socket" { // only connecting is probed
					got, want = got[1:2], want[1:2]
				}
				if got != want {
					t.Errorf("container uid %d groups %v: kernel allows %s, report says %s\n%s",
						u.uid, u.gids, got, want, strings.Join(r.Lines, "\n"))
				}
			}
		})
	}
}

func copyExecutable(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// makeObject creates a host directory (with one entry, to probe entering),
// file or listening socket, then gives it its owner and mode.
func makeObject(t *testing.T, path string, owner Owner, mode fs.FileMode, kind string) {
	t.Helper()
	var err error
	switch kind {
	case "directory":
		if err = os.Mkdir(path, 0o700); err == nil {
			err = os.WriteFile(filepath.Join(path, "inside"), nil, 0o644)
		}
	case "file":
		err = os.WriteFile(path, []byte("#!/bin/true\n"), 0o600)
	case "socket":
		var l net.Listener
		if l, err = net.Listen("unix", path); err == nil {
			t.Cleanup(func() { l.Close() })
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, owner.UID, owner.GID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// runProbe runs the probe as container user u in a new user namespace with
// map m (or as host user u without a map) and returns what it could do.
func runProbe(t *testing.T, probe, dir string, m IDMap, u user, kind, path string) string {
	t.Helper()
	cmd := exec.Command(probe)
	cmd.Dir = dir
	// Under -race, the race runtime sleeps a second at exit unless told not to.
	cmd.Env = []string{probeEnv + "=" + kind + ":" + path, "GORACE=atexit_sleep_ms=0"}
	groups := make([]uint32, len(u.gids))
	for i, g := range u.gids {
		groups[i] = uint32(g)
	}
	attr := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gids[0]), Groups: groups}}
	if len(m.UID) > 0 {
		attr.Cloneflags = syscall.CLONE_NEWUSER
		attr.GidMappingsEnableSetgroups = true
		for _, r := range m.UID {
			attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: r.ContainerID, HostID: r.HostID, Size: r.Count})
		}
		for _, r := range m.GID {
			attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: r.ContainerID, HostID: r.HostID, Size: r.Count})
		}
	}
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	_, got, ok := strings.Cut(strings.TrimSpace(string(out)), "probe=")
	if err != nil || !ok || len(got) != 3 {
		t.Fatalf("probe as uid %d: %v: %s", u.uid, err, out)
	}
	return got
}
