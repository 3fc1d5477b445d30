package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
	"golang.org/x/sys/unix"
)

// Issue 11, item 4: verify blocked on an lxc.include of a FIFO, and
// "lxc.include = /dev/zero" (a device node in the target) grew to 11.6 GB
// before it was killed. Both are findings now, found at once.
func TestIncludeOfSpecialFileIsAFinding(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(p string) error
		says string
	}{
		{"fifo", func(p string) error { return unix.Mkfifo(p, 0o644) }, "named pipe"},
		{"zero device", func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 5))) }, "character device"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tally.Add(tally.HostileTarget, 1)
			target := provisioned(t, false)
			if err := os.MkdirAll(filepath.Join(target, "dev"), 0o755); err != nil {
				t.Fatal(err)
			}
			special := filepath.Join(target, "dev/special")
			if err := c.make(special); err != nil {
				t.Fatal(err)
			}
			edit(t, target, configFile, appendLine("lxc.include = /dev/special"))
			done := make(chan *verify.Report, 1)
			go func() { done <- run(t, verify.Options{Target: target}) }()
			var r *verify.Report
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				if f, err := os.OpenFile(special, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatal("verify hangs on the include")
			}
			found := false
			for _, f := range r.Containers[0].Findings {
				found = found || f.Check == verify.CheckInclude && strings.Contains(f.Message, c.says)
			}
			if !found || r.OK {
				t.Errorf("no include finding saying %q: %+v", c.says, r.Containers[0].Findings)
			}
		})
	}
}

// Issue 11, item 2: what a killed run left (a staging folder, the new
// and old versions of an edited file) is reported, as an error: it would
// reach the image. While a run holds the target, verify says a run is at
// work instead.
func TestLeftoversAreFindings(t *testing.T) {
	target := provisioned(t, false)
	left := []string{
		"/usr/share/Thunder/OCDM/.thunder-lxc-4242-0",
		"/etc/Thunder/plugins/.thunder-lxc-4242-0.OCDM.json.new",
		"/usr/share/lxc/config/.thunder-lxc-4242-1.common.conf.old",
	}
	if err := os.Mkdir(filepath.Join(target, left[0]), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range left[1:] {
		write(t, filepath.Join(target, f), "half\n")
	}
	// Not ours: a name that merely looks alike.
	write(t, filepath.Join(target, "etc/Thunder/plugins/.thunder-lxc-notes"), "mine\n")
	r := run(t, verify.Options{Target: target})
	var named []string
	for _, f := range r.Findings {
		if f.Check == verify.CheckLeftover && f.Severity == verify.SeverityError {
			named = append(named, f.File)
		}
	}
	if strings.Join(named, " ") != strings.Join([]string{left[1], left[0], left[2]}, " ") || r.OK {
		t.Errorf("leftover findings for %v (ok %v), want %v", named, r.OK, left)
	}

	root, err := os.OpenRoot(target)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	lock, ok, err := inroot.TryLock(root, true)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer lock.Close()
	r = run(t, verify.Options{Target: target})
	if len(r.Findings) != 1 || r.Findings[0].Severity != verify.SeverityNote || !strings.Contains(r.Findings[0].Message, "run is changing the target") {
		t.Errorf("with a run at work: %+v", r.Findings)
	}
}
