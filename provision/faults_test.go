package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
	"github.com/thunder-lxc/thunder-lxc/provision/verify"
	"golang.org/x/sys/unix"
)

// The tests of issue 11's numbered failures that are the provision
// package's (the others: archive's integrity, sparse and breakout tests,
// verify's include and leftover tests, the command's signal test).

// refusedUnchanged runs req and wants an error saying each of says, with
// the target exactly as before.
func refusedUnchanged(t *testing.T, req Request, says ...string) error {
	t.Helper()
	before := treetest.Mtree(t, req.Target)
	err := provisionErr(req)
	if err == nil {
		t.Fatal("provision succeeded, want a refusal")
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if after := treetest.Mtree(t, req.Target); after != before {
		t.Errorf("the refused run changed the target:\n%s", mtreeDiff(before, after))
	}
	assertNoStaging(t, req.Target)
	return err
}

// Item 1: a .tar.gz or .tar.zst with 16 bytes overwritten at 70% was
// provisioned with exit 0 and a damaged library in the container: the
// decoder's checksum, after the tar's end, was never read. Damaged there
// only, every tar byte decodes right and only the checksum tells.
func TestCorruptTarballProvisionsNothing(t *testing.T) {
	treetest.NeedRoot(t)
	damages := map[string]func([]byte){
		"16 bytes at 70%":  func(data []byte) { copy(data[len(data)*7/10:], "sixteen bytes!!!") },
		"checksum trailer": func(data []byte) { data[len(data)-6] ^= 1 },
	}
	for _, compress := range []string{"gzip", "zstd", "xz", "bzip2", "lz4"} {
		good, err := os.ReadFile(rootfsTarball(t, compress))
		if err != nil {
			t.Fatal(err)
		}
		for name, damage := range damages {
			t.Run(compress+"/"+name, func(t *testing.T) {
				data := append([]byte{}, good...)
				damage(data)
				bad := filepath.Join(t.TempDir(), "rootfs.tar."+compress)
				writeFile(t, bad, data)
				refusedUnchanged(t, Request{Callsigns: []string{"OCDM"}, Target: treetest.SampleTarget(t), Source: bad},
					bad, "nothing was changed")
			})
		}
	}
}

// Item 3: two runs at once with other callsigns and ID ranges both ended
// with exit 0 and one /etc/subuid grant lost: each planned on the file as
// it was before the other wrote it. Runs on one target now take turns.
func TestConcurrentRunsKeepBothGrants(t *testing.T) {
	w := newFaultWorld(t)
	target := w.newTarget()
	a := Request{Callsigns: []string{"OCDM"}, Target: target, Source: w.args.Source, IDMapBase: 400000}
	b := Request{Callsigns: []string{"Netflix"}, Target: target, Source: w.args.Source, IDMapBase: 500000}

	// In this process: b plans while a's plan is made and not yet
	// applied, the worst order; b must wait for a's run to end.
	planA, err := BuildPlan(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	var planB *Plan
	var errB error
	planned := make(chan struct{})
	go func() {
		planB, errB = BuildPlan(context.Background(), b)
		close(planned)
	}()
	select {
	case <-planned:
		t.Fatal("a second run planned while the first held the target")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := Apply(context.Background(), planA); err != nil {
		t.Fatal(err)
	}
	<-planned
	if errB != nil {
		t.Fatal(errB)
	}
	if _, err := Apply(context.Background(), planB); err != nil {
		t.Fatal(err)
	}
	wantGrants(t, target, "root:400000:65536", "root:500000:65536")

	// Two processes at once, as the adversarial run did.
	target = w.newTarget()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i, r := range []Request{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := helperArgs{Callsigns: r.Callsigns, Target: target, Source: r.Source, IDMapBase: r.IDMapBase}
			outs[i], errs[i] = helperCommand(t, args, "").CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v: %s", i, errs[i], outs[i])
		}
	}
	wantGrants(t, target, "root:400000:65536", "root:500000:65536")
}

func wantGrants(t *testing.T, target string, grants ...string) {
	t.Helper()
	for _, file := range []string{"etc/subuid", "etc/subgid"} {
		got := read(t, filepath.Join(target, file))
		for _, g := range grants {
			if !strings.Contains(got, g+"\n") {
				t.Errorf("%s lacks %s:\n%s", file, g, got)
			}
		}
	}
}

// A run that finds the target locked waits, and says why it gave up.
func TestLockedTargetWaitsThenGivesUp(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
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
	saved := LockWait
	LockWait = 300 * time.Millisecond
	defer func() { LockWait = saved }()
	start := time.Now()
	_, err = BuildPlan(context.Background(), Request{Callsigns: []string{"OCDM"}, Target: target, DryRun: true})
	if !errors.Is(err, ErrTargetBusy) || !strings.Contains(err.Error(), target) {
		t.Fatalf("err = %v, want ErrTargetBusy naming the target", err)
	}
	if waited := time.Since(start); waited < LockWait {
		t.Errorf("gave up after %s, before waiting %s", waited, LockWait)
	}
	// remove and apply's batches change the target too.
	if _, err := BuildRemovePlan(context.Background(), RemoveRequest{Callsigns: []string{"OCDM"}, Target: target}); !errors.Is(err, ErrTargetBusy) {
		t.Errorf("remove: err = %v, want ErrTargetBusy", err)
	}
	batch := BatchRequest{Target: target, Requests: []Request{{Callsigns: []string{"OCDM"}}}}
	if _, err := BuildBatchPlan(context.Background(), batch); !errors.Is(err, ErrTargetBusy) {
		t.Errorf("batch: err = %v, want ErrTargetBusy", err)
	}
}

// Item 3: a key added to the plugin config or a line added to common.conf
// by another program while a run worked was silently lost. The run now
// checks each file before replacing it, fails and undoes, and the other
// program's edit stays.
func TestOutsideEditDuringRunIsKept(t *testing.T) {
	treetest.NeedRoot(t)
	tarball := rootfsTarball(t, "")
	for _, file := range []string{"etc/Thunder/plugins/OCDM.json", "usr/share/lxc/config/common.conf"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			target := treetest.SampleTarget(t)
			plan, err := BuildPlan(context.Background(), Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(target, file)
			edited := strings.Replace(read(t, name), "{", `{"added":"by another program",`, 1)
			if strings.HasSuffix(file, ".conf") {
				edited = read(t, name) + "lxc.cap.drop = sys_nice\n"
			}
			writeFile(t, name, []byte(edited))
			before := treetest.Mtree(t, target)
			_, err = Apply(context.Background(), plan)
			if !errors.Is(err, ErrChangedMeanwhile) || !strings.Contains(err.Error(), filepath.Base(file)) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("err = %v, want the run refused naming %s", err, file)
			}
			if got := read(t, name); got != edited {
				t.Errorf("the other program's edit is gone:\n%s", got)
			}
			if after := treetest.Mtree(t, target); after != before {
				t.Errorf("the failed run changed the target:\n%s", mtreeDiff(before, after))
			}
		})
	}
}

// Item 4: a FIFO as common.conf blocked provision forever (and SIGTERM
// with it). Only regular files are read, and a device or a FIFO in their
// place is refused at once.
func TestSpecialFilesAsConfigsDoNotHang(t *testing.T) {
	treetest.NeedRoot(t)
	tarball := rootfsTarball(t, "")
	for _, c := range []struct {
		name, file string
		make       func(p string) error
		says       string
	}{
		{"fifo common.conf", "usr/share/lxc/config/common.conf", func(p string) error { return unix.Mkfifo(p, 0o644) }, "named pipe"},
		{"fifo plugin config", "etc/Thunder/plugins/OCDM.json", func(p string) error { return unix.Mkfifo(p, 0o644) }, "named pipe"},
		{"zero device common.conf", "usr/share/lxc/config/common.conf",
			func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 5))) }, "character device"},
		{"fifo config.json", "etc/Thunder/config.json", func(p string) error { return unix.Mkfifo(p, 0o644) }, "named pipe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tally.Add(tally.HostileTarget, 1)
			target := treetest.SampleTarget(t)
			p := filepath.Join(target, c.file)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := c.make(p); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				done <- provisionErr(Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), filepath.Base(c.file)) {
					t.Fatalf("err = %v, want a refusal naming %s as a %s", err, c.file, c.says)
				}
			case <-time.After(30 * time.Second):
				// Unblock the reader so that the test binary can end.
				if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				t.Fatal("provision hangs on a special file")
			}
		})
	}
}

// Item 5: with "mode" twice the tool set the first one, and a reader that
// takes the last (verify agreed with the tool) still saw Off. Refused,
// and verify reports it.
func TestDuplicateModeKeyRefused(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	plugin := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	writeFile(t, plugin, []byte(`{"classname":"OCDM","configuration":{"root":{"mode":"Local","mode":"Off"}}}`))
	err := refusedUnchanged(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "")},
		"OCDM.json", `"configuration.root.mode" (2 times)`)
	if !errors.Is(err, thunder.ErrDuplicateKey) {
		t.Errorf("err = %v, want ErrDuplicateKey", err)
	}
	report, err := verify.Run(verify.Options{Target: target, Callsigns: []string{"OCDM"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range report.Containers[0].Findings {
		found = found || f.Check == verify.CheckPlugin && strings.Contains(f.Message, "duplicate key")
	}
	if !found || report.OK {
		t.Errorf("verify does not report the duplicate key: %+v", report.Containers[0].Findings)
	}
}

// Item 6: rewriting the plugin config dropped its extended attributes.
// Owner, mode (setgid too) and xattrs stay on every edited file.
func TestEditKeepsOwnerModeAndXattrs(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	files := []string{"etc/Thunder/plugins/OCDM.json", "usr/share/lxc/config/common.conf"}
	for _, f := range files {
		p := filepath.Join(target, f)
		if err := os.Chown(p, 1234, 5678); err != nil {
			t.Fatal(err)
		}
		if err := unix.Chmod(p, 0o2640); err != nil {
			t.Fatal(err)
		}
		for name, value := range map[string]string{"user.origin": "buildroot", "trusted.label": "x", "security.selinux": "system_u:object_r:etc_t:s0"} {
			if err := unix.Lsetxattr(p, name, []byte(value), 0); err != nil {
				t.Skipf("the test folder's filesystem has no %s xattrs: %v", name, err)
			}
		}
	}
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "")})
	for _, f := range files {
		p := filepath.Join(target, f)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid != 1234 || st.Gid != 5678 || st.Mode&0o7777 != 0o2640 {
			t.Errorf("%s: owner %d:%d mode %#o, want 1234:5678 02640", f, st.Uid, st.Gid, st.Mode&0o7777)
		}
		for name, want := range map[string]string{"user.origin": "buildroot", "trusted.label": "x", "security.selinux": "system_u:object_r:etc_t:s0"} {
			buf := make([]byte, 256)
			n, err := unix.Lgetxattr(p, name, buf)
			if err != nil || string(buf[:n]) != want {
				t.Errorf("%s: xattr %s = %q (%v), want %q", f, name, buf[:max(n, 0)], err, want)
			}
		}
	}
	if !strings.Contains(read(t, filepath.Join(target, files[0])), `"mode": "Container"`) {
		t.Error("the plugin config was not edited")
	}
}

// Item 6: a hardlinked plugin config left its other name in the old mode.
// Refused: editing one name of a file cannot be done atomically for all.
func TestHardlinkedConfigRefused(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	plugin := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	if err := os.Link(plugin, filepath.Join(target, "etc/OCDM.json.orig")); err != nil {
		t.Fatal(err)
	}
	err := refusedUnchanged(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "")},
		"/etc/Thunder/plugins/OCDM.json", "2 names")
	if !errors.Is(err, ErrHardlinked) {
		t.Errorf("err = %v, want ErrHardlinked", err)
	}
}

// Item 7: with a later file immutable the run failed with "nothing was
// changed", yet the files edited before had new inodes and times, and
// their folders new times. Undo now puts the very files back and the
// folder times, and says "nothing was changed" only after checking.
func TestFailedRunRestoresMetadata(t *testing.T) {
	treetest.NeedRoot(t)
	chattr := treetest.NeedTool(t, "chattr", "e2fsprogs")
	w := newFaultWorld(t)
	target := w.newTarget()
	// Edited in this order: common.conf, 10-sec.conf, /etc/subuid,
	// /etc/subgid, then the plugin configs; the last one cannot be.
	last := filepath.Join(target, "etc/Thunder/plugins/OCDM.json")
	inodes := map[string]uint64{}
	for _, f := range []string{"usr/share/lxc/config/common.conf", "usr/share/lxc/config/common.conf.d/10-sec.conf", "etc/subuid", "etc/subgid", "etc/Thunder/plugins/Netflix.json"} {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(target, f), &st); err != nil {
			t.Fatal(err)
		}
		inodes[f] = st.Ino
	}
	if out, err := treetest.RunErr(chattr, "+i", last); err != nil {
		t.Skipf("needs chattr +i on the test folder's filesystem: %v %s", err, out)
	}
	t.Cleanup(func() { treetest.RunErr(chattr, "-i", last) })
	before := mtreeWithTimes(t, target)
	err := provisionErr(w.request(target))
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v, want a failure that changed nothing", err)
	}
	if after := mtreeWithTimes(t, target); after != before {
		t.Errorf("the failed run changed the target (times included):\n%s", mtreeDiff(before, after))
	}
	for f, ino := range inodes {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(target, f), &st); err != nil || st.Ino != ino {
			t.Errorf("%s is another file now (inode %d, was %d)", f, st.Ino, ino)
		}
	}
	assertNoStaging(t, target)
	if left := tempFiles(t, target); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// Item 9: a tarball of zero blocks only (an empty archive) failed naming
// the staging folder it was unpacked into; the error names the tarball.
func TestEmptyTarballErrorNamesTheSource(t *testing.T) {
	treetest.NeedRoot(t)
	empty := filepath.Join(t.TempDir(), "rootfs.tar")
	writeFile(t, empty, make([]byte, 10240))
	err := refusedUnchanged(t, Request{Callsigns: []string{"OCDM"}, Target: treetest.SampleTarget(t), Source: empty},
		empty, "no ELF program")
	if strings.Contains(err.Error(), inroot.TempPrefix) || strings.Contains(err.Error(), "Container/rootfs") {
		t.Errorf("the error names where the tarball was unpacked: %v", err)
	}
}

// Item 10: a seccomp line in common.conf.d/10-sec.conf stayed active while
// the report said "lxc.seccomp.profile commented out". Every file LXC
// reads along with common.conf is patched, and said so.
func TestSeccompInIncludedFileCommentedOut(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	included := filepath.Join(target, "usr/share/lxc/config/common.conf.d/10-sec.conf")
	writeFile(t, included, []byte("# hardening\nlxc.seccomp.profile = /usr/share/lxc/config/strict.seccomp\n"))
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "")})
	if got := read(t, included); got != "# hardening\n# lxc.seccomp.profile = /usr/share/lxc/config/strict.seccomp\n" {
		t.Errorf("10-sec.conf:\n%s", got)
	}
	said := false
	for _, f := range report.Files {
		said = said || f.Path == "/usr/share/lxc/config/common.conf.d/10-sec.conf" && f.Changed
	}
	if !said {
		t.Errorf("the report does not name 10-sec.conf: %+v", report.Files)
	}
	rep, err := verify.Run(verify.Options{Target: target, Callsigns: []string{"OCDM"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Containers[0].Findings {
		if f.Check == verify.CheckSeccomp {
			t.Errorf("verify still finds a seccomp line: %s", f)
		}
	}
}

// Item 1 for image: an input damaged only in its checksum, or a plain tar
// cut at an entry boundary (which archive/tar reads as a complete shorter
// archive), makes no output.
func TestDamagedImageInputMakesNoOutput(t *testing.T) {
	plain := imageInput(t, "rootfs.tar")
	data, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gz := filepath.Join(dir, "rootfs.tar.gz")
	treetest.Run(t, "sh", "-c", `gzip -c "$1" > "$2"`, "sh", plain, gz)
	packed, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	packed[len(packed)-6] ^= 1 // the CRC32 after the deflate data
	badSum := filepath.Join(dir, "badsum.tar.gz")
	writeFile(t, badSum, packed)
	// Cut where GNU tar says the last member's header is: the archive
	// loses its last entry.
	blocks := strings.Fields(treetest.Run(t, "sh", "-c", `tar -tR -f "$1" | grep -v NULs | tail -1`, "sh", plain))
	n, err := strconv.Atoi(strings.TrimSuffix(blocks[1], ":"))
	if err != nil || blocks[0] != "block" {
		t.Fatalf("tar -tR: %q", blocks)
	}
	cut := n * 512
	cutTar := filepath.Join(dir, "cut.tar")
	writeFile(t, cutTar, data[:cut])
	out := filepath.Join(dir, "out", "image.tar")
	mkdirAll(t, filepath.Dir(out))
	for name, c := range map[string]struct{ in, says string }{
		"bad checksum":     {badSum, "truncated or corrupt"},
		"cut at an entry":  {cutTar, "cut short"},
		"rootfs cut short": {plain, "cut short"},
	} {
		req := ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: c.in, Out: out}
		if name == "rootfs cut short" {
			req.Source = cutTar
		}
		if _, err := imageRun(t, req); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.says)
		}
		if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
			t.Errorf("%s: left %v in the output folder", name, left)
		}
	}
}
