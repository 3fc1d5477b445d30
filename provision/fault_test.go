package provision

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

// faultWorld is a target on which a run takes every kind of step: two
// containers (the second copied from the first), a share folder to make,
// the plugin configs, common.conf and a file it includes, /etc/subuid
// and /etc/subgid to edit. newTarget makes a fresh copy of it.
type faultWorld struct {
	args      helperArgs
	newTarget func() string
}

func newFaultWorld(t *testing.T) faultWorld {
	t.Helper()
	treetest.NeedRoot(t)
	// The times of what the run writes are then the same in every run.
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	template := treetest.SampleTarget(t)
	writeFile(t, filepath.Join(template, "etc/Thunder/plugins/Netflix.json"),
		[]byte(`{"classname":"Netflix","configuration":{"root":{"mode":"Off"}}}`))
	writeFile(t, filepath.Join(template, "usr/share/lxc/config/common.conf.d/10-sec.conf"),
		[]byte("lxc.seccomp.profile = /usr/share/lxc/config/strict.seccomp\n"))
	writeFile(t, filepath.Join(template, "usr/bin/newuidmap"), []byte("shadow's\n"))
	writeFile(t, filepath.Join(template, "usr/bin/newgidmap"), []byte("shadow's\n"))
	writeFile(t, filepath.Join(template, "etc/subuid"), []byte("root:300000:65536\n"))
	writeFile(t, filepath.Join(template, "etc/subgid"), []byte("root:300000:65536\n"))
	w := faultWorld{args: helperArgs{
		Callsigns: []string{"OCDM", "Netflix"},
		Source:    rootfsTarball(t, "gzip"),
		Shares:    []string{"/opt/share:/opt/share"},
	}}
	w.newTarget = func() string {
		dir := filepath.Join(t.TempDir(), "target")
		treetest.Run(t, "cp", "-a", template, dir)
		return dir
	}
	return w
}

func (w faultWorld) request(target string) Request {
	return Request{Callsigns: w.args.Callsigns, Target: target, Source: w.args.Source, Shares: w.args.Shares,
		IDMapBase: w.args.IDMapBase, Force: w.args.Force}
}

// tempFiles lists the run's temporary files and folders in the target.
func tempFiles(t *testing.T, target string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if inroot.IsTemp(d.Name()) {
			found = append(found, "/"+strings.TrimPrefix(p, target+"/"))
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// mtreeDiff is the lines of two tree descriptions that differ.
func mtreeDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// checkRecovery is what follows a killed run: verify names each file the
// run left; the next run removes them and ends with the target a complete
// run makes (owners, modes, content, times, links: treetest.Mtree).
func checkRecovery(t *testing.T, w faultWorld, target, want string, leaves bool) {
	t.Helper()
	left := tempFiles(t, target)
	if leaves && len(left) == 0 {
		t.Error("the killed run left nothing: the kill point is not where it should be")
	}
	if len(left) > 0 {
		report, err := verify.Run(verify.Options{Target: target})
		if err != nil {
			t.Fatal(err)
		}
		var named []string
		for _, f := range report.Findings {
			if f.Check == verify.CheckLeftover {
				named = append(named, f.File)
			}
		}
		if !slices.Equal(named, left) || report.OK {
			t.Errorf("verify names %v (ok %v), the run left %v", named, report.OK, left)
		}
	}
	report := provisionOK(t, w.request(target))
	if len(left) > 0 && !strings.Contains(strings.Join(report.Warnings, "\n"), "did not end") {
		t.Errorf("the rerun does not say it removed what was left: %q", report.Warnings)
	}
	if left := tempFiles(t, target); len(left) > 0 {
		t.Errorf("left after the rerun: %v", left)
	}
	if got := treetest.Mtree(t, target); got != want {
		t.Errorf("the target after a kill and a rerun differs from a complete run's:\n%s", mtreeDiff(want, got))
	}
}

// Issue 11, item 2, and the fault injections: a run killed (SIGKILL) at
// each point between two of its steps, then run again, ends with the very
// target a complete run makes, and nothing left over; verify, between the
// two, names what the killed run left.
func TestKilledRunThenRerun(t *testing.T) {
	w := newFaultWorld(t)
	reference := w.newTarget()
	provisionOK(t, w.request(reference))
	want := treetest.Mtree(t, reference)
	points := []struct {
		point  string
		leaves bool // the killed run leaves temporary files
	}{
		{"staging-made", true},
		{"rootfs-filled", true},
		{"built", true},
		{"container-in-place", true},
		{"container-in-place#2", true},
		{"share-made", true},
		{"edit-kept", true},
		{"edit-written", true},
		{"edit-written#3", true},
		{"edit-kept#6", true},
		{"edited", true},
		{"stamped", false},
	}
	for _, p := range points {
		t.Run(p.point, func(t *testing.T) {
			target := w.newTarget()
			a := w.args
			a.Target = target
			killedAt(t, a, p.point)
			tally.Add(tally.FaultInjection, 1)
			checkRecovery(t, w, target, want, p.leaves)
		})
	}
	// Killed twice in a row: the second run dies just after removing what
	// the first left.
	t.Run("built then leftovers-removed", func(t *testing.T) {
		target := w.newTarget()
		a := w.args
		a.Target = target
		killedAt(t, a, "built")
		killedAt(t, a, "leftovers-removed")
		tally.Add(tally.FaultInjection, 2)
		checkRecovery(t, w, target, want, false)
	})
}

// A run that replaces containers (force) and is killed between moving the
// old container aside and moving the new one in leaves no container: the
// next run puts the old one back first (its state knows the plugin's mode
// before the first run), then replaces it, as a complete run does.
func TestKilledReplaceThenRerun(t *testing.T) {
	w := newFaultWorld(t)
	first := w.args
	first.Shares = nil
	reference := w.newTarget()
	provisionOK(t, Request{Callsigns: first.Callsigns, Target: reference, Source: first.Source})
	w.args.Force = true
	provisionOK(t, w.request(reference))
	want := treetest.Mtree(t, reference)
	for _, point := range []string{"old-container-aside", "old-container-aside#2"} {
		t.Run(point, func(t *testing.T) {
			target := w.newTarget()
			provisionOK(t, Request{Callsigns: first.Callsigns, Target: target, Source: first.Source})
			a := w.args
			a.Target = target
			killedAt(t, a, point)
			tally.Add(tally.FaultInjection, 1)
			if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/OCDM/Container")); err == nil && point == "old-container-aside" {
				t.Fatal("the kill point is not between the two renames")
			}
			checkRecovery(t, w, target, want, true)
		})
	}
}
