package lxc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestMissingGrantsAgainstShadow asks shadow's own newuidmap and newgidmap
// whether our reading of /etc/subuid and /etc/subgid is theirs: a map is
// refused while grants are missing and accepted once AddGrants added them.
// The files are swapped in by a bind mount in a private mount namespace, so
// the machine's own files are never touched.
func TestMissingGrantsAgainstShadow(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: bind-mounts a test /etc/subuid in a private mount namespace")
	}
	for _, tool := range []string{"unshare", "newuidmap", "newgidmap", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (util-linux, uidmap): %v", tool, err)
		}
	}
	m, err := NewIDMap(IDMapRequest{Base: 100000, Size: 65536, KeepUIDs: []int{1000}, KeepGIDs: []int{44, 45}})
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := m.HostRanges()
	tests := []struct {
		name, content string
		tool, file    string
		need          []Range
	}{
		{"uid, empty file", "", "newuidmap", "/etc/subuid", uid},
		{"uid, shifted range granted", "root:100000:65536\n", "newuidmap", "/etc/subuid", uid},
		{"uid, split grants cover all", "root:100000:500\nroot:100400:700\n0:101100:64436\nroot:1000:1", "newuidmap", "/etc/subuid", uid},
		{"uid, partial", "pi:1000:1\n0:100500:200\n", "newuidmap", "/etc/subuid", uid},
		{"gid, partial, no final newline", "root:44:1\nroot:100000:65536", "newgidmap", "/etc/subgid", gid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, err := MissingGrants([]byte(tt.content), tt.need)
			if err != nil {
				t.Fatal(err)
			}
			pid := startUserNamespace(t)
			dir := t.TempDir()
			before := filepath.Join(dir, "before")
			if err := os.WriteFile(before, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := mapWithFile(pid, tt.tool, tt.file, before, tt.need)
			if (err == nil) != (len(missing) == 0) {
				t.Fatalf("%s with %q: error %v (%s), but MissingGrants says %q", tt.tool, tt.content, err, out, missing)
			}
			if len(missing) == 0 {
				return
			}
			after := filepath.Join(dir, "after")
			if err := os.WriteFile(after, AddGrants([]byte(tt.content), missing), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := mapWithFile(pid, tt.tool, tt.file, after, tt.need); err != nil {
				t.Fatalf("%s refused the map after adding %q: %v: %s", tt.tool, missing, err, out)
			}
		})
	}
}

// startUserNamespace starts a process in a new, unmapped user namespace.
func startUserNamespace(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("unshare", "--user", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	own, _ := os.Readlink("/proc/self/ns/user")
	nsPath := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/user"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ns, err := os.Readlink(nsPath); err == nil && ns != own {
			return cmd.Process.Pid
		}
	}
	t.Fatal("unshare --user did not enter a new user namespace")
	return 0
}

// mapWithFile runs tool (newuidmap or newgidmap) for pid with file bind-mounted
// over grantFile in a private mount namespace.
func mapWithFile(pid int, tool, grantFile, file string, ranges []Range) ([]byte, error) {
	args := []string{"--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" "$2" && shift 2 && exec "$@"`, "sh", file, grantFile, tool, strconv.Itoa(pid)}
	for _, r := range ranges {
		args = append(args, strconv.Itoa(r.ContainerID), strconv.Itoa(r.HostID), strconv.Itoa(r.Count))
	}
	return exec.Command("unshare", args...).CombinedOutput()
}
