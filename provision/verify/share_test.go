package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// The share entry provision writes for --share /var/log/TestLogging:TestLogging.
const shareEntry = "lxc.mount.entry = /var/log/TestLogging TestLogging none bind,rw 0 0\n"

// sharedTarget is a provisioned target with the guide's TestLogging share,
// container uid and gid 1000 passed through (--keep-id 1000), plus what
// more is given.
func sharedTarget(t *testing.T, more ...string) string {
	t.Helper()
	return provisionedWith(t, provision.Request{
		Shares:   append([]string{"/var/log/TestLogging:TestLogging"}, more...),
		KeepUIDs: []int{1000}, KeepGIDs: []int{1000},
	})
}

// split sorts a container's findings into errors and notes.
func split(r *verify.Report) (errs, notes []verify.Finding) {
	for _, f := range r.Containers[0].Findings {
		if f.Severity == verify.SeverityError {
			errs = append(errs, f)
		} else {
			notes = append(notes, f)
		}
	}
	return errs, notes
}

// A provisioned share verifies clean: one access note per share, from the
// permission explanation of the folder under the container's ID map.
func TestSharesAreExplainedOnce(t *testing.T) {
	target := sharedTarget(t, "/srv/readonly:ro:ro")
	r := run(t, verify.Options{Target: target})
	errs, notes := split(r)
	if !r.OK || len(errs) != 0 || len(notes) != 2 {
		t.Fatalf("want ok with two notes, got:\n%s", list(r.Containers[0].Findings))
	}
	for i, host := range []string{"/var/log/TestLogging", "/srv/readonly"} {
		n := notes[i]
		if n.Check != verify.CheckShare || n.File != configFile || n.Fix == "" || !strings.Contains(n.Message, "shares "+host) {
			t.Errorf("note %d: %s\nwant a share note on %s for %s", i, n, configFile, host)
		}
		// The folder provision made is owned by the kept uid 1000, mode 7770.
		for _, want := range []string{"host owner 1000:1000", "owned by uid 1000 (host 1000)", "Container uid 1000, its owner, can list it, enter it and create files in it",
			"Container users other than uid 1000, members of group 1000 and root cannot enter it"} {
			if !strings.Contains(n.Message, want) {
				t.Errorf("note on %s lacks %q:\n%s", host, want, n.Message)
			}
		}
	}
	if strings.Contains(notes[0].Message, "read-only") || !strings.Contains(notes[1].Message, "mounted read-only") {
		t.Errorf("only the ro share is said to be read-only:\n%s", list(notes))
	}
}

// A share without an ID map is explained as a privileged container's.
func TestShareOfPrivilegedContainer(t *testing.T) {
	target := provisionedWith(t, provision.Request{NoIDMap: true, Shares: []string{"/var/log/TestLogging:TestLogging"}})
	r := run(t, verify.Options{Target: target})
	errs, notes := split(r)
	if !r.OK || len(errs) != 0 || len(notes) != 1 || !strings.Contains(notes[0].Message, "There is no ID map") {
		t.Fatalf("want ok with one note saying there is no ID map, got:\n%s", list(r.Containers[0].Findings))
	}
}

// Each way of breaking a share is one finding (beside the access notes of
// the shares that still work).
func TestEachShareBreakageIsTheOneFinding(t *testing.T) {
	cases := map[string]struct {
		brk       func(t *testing.T, target string)
		severity  string
		check     string
		inMessage string
		notes     int // access notes left
	}{
		"host folder removed": {
			brk: func(t *testing.T, target string) {
				if err := os.RemoveAll(filepath.Join(target, "var/log/TestLogging")); err != nil {
					t.Fatal(err)
				}
			},
			severity: verify.SeverityError, check: verify.CheckShare, inMessage: "/var/log/TestLogging, which is not in the target",
		},
		"mount point removed from the rootfs": {
			brk: func(t *testing.T, target string) { remove(t, target, rootfsDir+"/TestLogging") },
			// The share itself is fine and still explained.
			severity: verify.SeverityError, check: verify.CheckShare, inMessage: "onto /TestLogging, which the container's rootfs lacks", notes: 1,
		},
		"share of a folder inside the container folder": {
			brk: func(t *testing.T, target string) {
				if err := os.Mkdir(filepath.Join(target, containerDir, "data"), 0o755); err != nil {
					t.Fatal(err)
				}
				edit(t, target, configFile, appendLine("lxc.mount.entry = "+containerDir+"/data data none bind,create=dir 0 0"))
			},
			severity: verify.SeverityError, check: verify.CheckShare, inMessage: "inside the container's own folder " + containerDir, notes: 1,
		},
		"share of the rootfs through a symlink": {
			brk: func(t *testing.T, target string) {
				if err := os.Symlink(rootfsDir+"/etc", filepath.Join(target, "etc/ocdm-etc")); err != nil {
					t.Fatal(err)
				}
				edit(t, target, configFile, appendLine("lxc.mount.entry = /etc/ocdm-etc data none bind,create=dir 0 0"))
			},
			severity: verify.SeverityError, check: verify.CheckShare, inMessage: "inside the container's own folder", notes: 1,
		},
		"absolute mount point outside the rootfs": {
			brk: func(t *testing.T, target string) {
				edit(t, target, configFile, replace(shareEntry, strings.Replace(shareEntry, " TestLogging ", " /TestLogging ", 1)))
			},
			severity: verify.SeverityError, check: verify.CheckShare, inMessage: "LXC ignores the entry",
		},
		"other mount without its mount point": {
			brk: func(t *testing.T, target string) {
				edit(t, target, configFile, appendLine("lxc.mount.entry = tmpfs scratch tmpfs defaults 0 0"))
			},
			severity: verify.SeverityError, check: verify.CheckMount, inMessage: "onto /scratch", notes: 1,
		},
		"source in a run-time tmpfs": {
			brk: func(t *testing.T, target string) {
				edit(t, target, configFile, appendLine("lxc.mount.entry = /run/ocdm run/ocdm none bind,create=dir 0 0"))
			},
			severity: verify.SeverityNote, check: verify.CheckShare, inMessage: "/run is usually a tmpfs", notes: 1,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			target := sharedTarget(t)
			c.brk(t, target)
			r := run(t, verify.Options{Target: target})
			var hit, notes []verify.Finding
			for _, f := range r.Containers[0].Findings {
				if f.Severity == verify.SeverityNote && f.Check == verify.CheckShare && strings.Contains(f.Message, "shares /var/log/TestLogging") {
					notes = append(notes, f)
				} else {
					hit = append(hit, f)
				}
			}
			if len(hit) != 1 || len(notes) != c.notes {
				t.Fatalf("want one finding and %d access note(s), got:\n%s", c.notes, list(r.Containers[0].Findings))
			}
			f := hit[0]
			if f.Severity != c.severity || f.Check != c.check || f.File != configFile || !strings.Contains(f.Message, c.inMessage) || f.Fix == "" {
				t.Errorf("finding %s\nwant %s %s on %s mentioning %q, with a fix", f, c.severity, c.check, configFile, c.inMessage)
			}
			if r.OK != (c.severity == verify.SeverityNote) {
				t.Errorf("report ok = %v with a %s", r.OK, c.severity)
			}
		})
	}
}

// What LXC accepts is not reported: an absolute mount point under the
// rootfs path, create=dir for a missing mount point, an optional entry
// whose source is missing (Debian's common.conf has one), a kernel
// filesystem source.
func TestAcceptedMountsAreClean(t *testing.T) {
	target := sharedTarget(t)
	remove(t, target, rootfsDir+"/TestLogging")
	edit(t, target, configFile, replace(shareEntry, "lxc.mount.entry = /var/log/TestLogging "+rootfsDir+"/TestLogging none bind,rw,create=dir 0 0\n"))
	edit(t, target, configFile, appendLine("lxc.mount.entry = /sys/fs/fuse/connections sys/fs/fuse/connections none bind,optional 0 0"))
	edit(t, target, configFile, appendLine("lxc.mount.entry = /nowhere nowhere none bind,optional 0 0"))
	edit(t, target, configFile, appendLine("lxc.mount.entry = /dev/dri dev/dri none bind,create=dir 0 0"))
	edit(t, target, configFile, appendLine("lxc.mount.entry = tmpfs scratch tmpfs create=dir 0 0"))
	r := run(t, verify.Options{Target: target})
	errs, notes := split(r)
	if !r.OK || len(errs) != 0 || len(notes) != 1 {
		t.Fatalf("want ok and only the share's note, got:\n%s", list(r.Containers[0].Findings))
	}
}
