package provision

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// hostFiles are the build host's files a hostile target points at (and
// what a container made through its link to the host's /tmp would be).
// /etc/subuid and /etc/subgid, which LXC tests running beside may change,
// are checked by make test's host-unchanged.sh for the whole suite.
var hostFiles = []string{"/etc/passwd", "/etc/shadow", "/usr/share/lxc/config/common.conf", "/tmp/Container"}

// hostState describes the host files (content hash, or listing time).
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, f := range hostFiles {
		info, err := os.Lstat(f)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", f, err)
			continue
		}
		if info.IsDir() {
			fmt.Fprintf(&b, "%s: folder %v\n", f, info.ModTime())
			continue
		}
		data, _ := os.ReadFile(f)
		fmt.Fprintf(&b, "%s: %x %v\n", f, sha256.Sum256(data), info.ModTime())
	}
	return b.String()
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	os.RemoveAll(name)
	mkdirAll(t, filepath.Dir(name))
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// Hostile targets: symlinks that point at the build host's files or loop,
// files that are too big or not files, folders in files' places, read-only
// parts, names that climb out. Each run ends at once, either refused with
// a line naming the file (and the target as it was) or done inside the
// target, and never touches the build host.
func TestHostileTargets(t *testing.T) {
	treetest.NeedRoot(t)
	chattr := treetest.NeedTool(t, "chattr", "e2fsprogs")
	tarball := rootfsTarball(t, "")
	const plugin, common = "etc/Thunder/plugins/OCDM.json", "usr/share/lxc/config/common.conf"
	cases := []struct {
		name  string
		setup func(t *testing.T, target string)
		says  []string                          // the refusal; nil: the run succeeds
		check func(t *testing.T, target string) // after a successful run
	}{
		{name: "plugin config links to the host's /etc/passwd",
			setup: func(t *testing.T, target string) { symlink(t, "/etc/passwd", filepath.Join(target, plugin)) },
			says:  []string{"OCDM.json", "no such file"}},
		{name: "common.conf links to the host's /etc/shadow",
			setup: func(t *testing.T, target string) { symlink(t, "/etc/shadow", filepath.Join(target, common)) },
			check: func(t *testing.T, target string) {
				if _, err := os.Lstat(filepath.Join(target, "etc/shadow")); err == nil {
					t.Error("a file was made at the link's target")
				}
			}},
		{name: "common.conf links up and out",
			setup: func(t *testing.T, target string) {
				symlink(t, strings.Repeat("../", 12)+"etc/passwd", filepath.Join(target, common))
			},
			check: func(t *testing.T, target string) {}},
		{name: "data path links to an absolute folder",
			setup: func(t *testing.T, target string) {
				mkdirAll(t, filepath.Join(target, "opt/thunder"))
				treetest.Run(t, "rm", "-rf", filepath.Join(target, "usr/share/Thunder"))
				symlink(t, "/opt/thunder", filepath.Join(target, "usr/share/Thunder"))
			},
			check: func(t *testing.T, target string) {
				if _, err := os.Stat(filepath.Join(target, "opt/thunder/OCDM/Container/rootfs/bin/busybox")); err != nil {
					t.Errorf("the container is not behind the target's symlink: %v", err)
				}
			}},
		{name: "class folder links to the host's /tmp",
			setup: func(t *testing.T, target string) {
				treetest.Run(t, "rm", "-rf", filepath.Join(target, "usr/share/Thunder/OCDM"))
				mkdirAll(t, filepath.Join(target, "tmp"))
				symlink(t, "/tmp", filepath.Join(target, "usr/share/Thunder/OCDM"))
			},
			check: func(t *testing.T, target string) {
				if _, err := os.Stat(filepath.Join(target, "tmp/Container/config")); err != nil {
					t.Errorf("the container is not in the target's /tmp: %v", err)
				}
			}},
		{name: "data path is a symlink loop",
			setup: func(t *testing.T, target string) {
				treetest.Run(t, "rm", "-rf", filepath.Join(target, "usr/share/Thunder"))
				symlink(t, "Thunder2", filepath.Join(target, "usr/share/Thunder"))
				symlink(t, "Thunder", filepath.Join(target, "usr/share/Thunder2"))
			},
			says: []string{"too many levels of symbolic links"}},
		{name: "/etc links to itself",
			setup: func(t *testing.T, target string) {
				treetest.Run(t, "mv", filepath.Join(target, "etc"), filepath.Join(target, "etc.real"))
				symlink(t, "/etc", filepath.Join(target, "etc"))
			},
			says: []string{"is it a Thunder root filesystem"}},
		{name: "plugin config is 20 MiB",
			setup: func(t *testing.T, target string) {
				data := []byte(read(t, filepath.Join(target, plugin)))
				writeFile(t, filepath.Join(target, plugin), append(data, make([]byte, 20<<20)...))
			},
			says: []string{"OCDM.json", "larger than 16 MiB"}},
		{name: "common.conf is a folder",
			setup: func(t *testing.T, target string) {
				os.Remove(filepath.Join(target, common))
				mkdirAll(t, filepath.Join(target, common, "sub"))
			},
			says: []string{"common.conf", "it is a folder"}},
		{name: "subuid links to the host's /etc/subuid",
			setup: func(t *testing.T, target string) {
				for _, tool := range []string{"newuidmap", "newgidmap"} {
					writeFile(t, filepath.Join(target, "usr/bin", tool), []byte("shadow\n"))
				}
				// Meant for the host's; in the target it names itself.
				symlink(t, "/etc/subuid", filepath.Join(target, "etc/subuid"))
			},
			says: []string{"/etc/subuid", "too many levels of symbolic links"}},
		{name: "subgid links to another absolute name",
			setup: func(t *testing.T, target string) {
				for _, tool := range []string{"newuidmap", "newgidmap"} {
					writeFile(t, filepath.Join(target, "usr/bin", tool), []byte("shadow\n"))
				}
				symlink(t, "/etc/shadow-maint/subgid", filepath.Join(target, "etc/subgid"))
				mkdirAll(t, filepath.Join(target, "etc/shadow-maint"))
			},
			check: func(t *testing.T, target string) {
				if !strings.Contains(read(t, filepath.Join(target, "etc/shadow-maint/subgid")), "root:100000:65536") {
					t.Error("the grant is not in the file the target's link names")
				}
			}},
		{name: "container folder is a file",
			setup: func(t *testing.T, target string) {
				writeFile(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container"), []byte("not a folder\n"))
			},
			says: []string{"/usr/share/Thunder/OCDM/Container", "which thunder-lxc did not make"}},
		{name: "classname climbs out",
			setup: func(t *testing.T, target string) {
				writeFile(t, filepath.Join(target, plugin), []byte(`{"classname":"..","configuration":{"root":{"mode":"Local"}}}`))
			},
			says: []string{"OCDM.json", `classname ".." cannot be a folder name`}},
		{name: "data path climbs out in config.json",
			setup: func(t *testing.T, target string) {
				cfg := filepath.Join(target, "etc/Thunder/config.json")
				writeFile(t, cfg, []byte(strings.Replace(read(t, cfg), `"/usr/share/Thunder"`, `"/../../../../srv/thunder"`, 1)))
			},
			check: func(t *testing.T, target string) {
				if _, err := os.Stat(filepath.Join(target, "srv/thunder/OCDM/Container/config")); err != nil {
					t.Errorf("the container is not in the target's /srv/thunder: %v", err)
				}
			}},
		{name: "read-only class folder",
			setup: func(t *testing.T, target string) {
				dir := filepath.Join(target, "usr/share/Thunder/OCDM")
				if out, err := treetest.RunErr(chattr, "+i", dir); err != nil {
					t.Skipf("needs chattr +i: %v %s", err, out)
				}
				t.Cleanup(func() { treetest.RunErr(chattr, "-i", dir) })
			},
			says: []string{"usr/share/Thunder/OCDM", "nothing was changed"}},
		{name: "read-only common.conf",
			setup: func(t *testing.T, target string) {
				f := filepath.Join(target, common)
				if out, err := treetest.RunErr(chattr, "+i", f); err != nil {
					t.Skipf("needs chattr +i: %v %s", err, out)
				}
				t.Cleanup(func() { treetest.RunErr(chattr, "-i", f) })
			},
			says: []string{"common.conf", "nothing was changed"}},
		{name: "names like the tool's own that are not",
			setup: func(t *testing.T, target string) {
				writeFile(t, filepath.Join(target, "etc/Thunder/plugins/.thunder-lxc-notes"), []byte("mine\n"))
				mkdirAll(t, filepath.Join(target, "usr/share/Thunder/.thunder-lxc-cache"))
			},
			check: func(t *testing.T, target string) {
				for _, f := range []string{"etc/Thunder/plugins/.thunder-lxc-notes", "usr/share/Thunder/.thunder-lxc-cache"} {
					if _, err := os.Lstat(filepath.Join(target, f)); err != nil {
						t.Errorf("%s was removed: %v", f, err)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := treetest.SampleTarget(t)
			c.setup(t, target)
			host := hostState(t)
			req := Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball}
			tally.Add(tally.HostileTarget, 1)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if c.says != nil {
					refusedUnchanged(t, req, c.says...)
					return
				}
				provisionOK(t, req)
				c.check(t, target)
			}()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("the run did not end")
			}
			if now := hostState(t); now != host {
				t.Errorf("the build host changed:\nbefore %s\nafter  %s", host, now)
			}
		})
	}
}
