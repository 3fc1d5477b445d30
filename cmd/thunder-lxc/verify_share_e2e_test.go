package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// verify's share verdicts against the real LXC: what verify calls an error
// that stops the container makes lxc-execute fail; what it says LXC skips
// starts the container without the mount; a clean share is mounted.
func TestVerifyShareAgainstLXC(t *testing.T) {
	lxctest.NeedLXC(t)
	const dir = "/usr/share/Thunder/OCDM/Container"
	entry := "lxc.mount.entry = " + testShare + " TestLogging none bind,rw 0 0\n"
	editConfig := func(t *testing.T, target, old, new string) {
		p := filepath.Join(target, dir, "config")
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), old) {
			t.Fatalf("config %s lacks %q (%v)", p, old, err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		brk      func(t *testing.T, target string)
		noSource bool   // the share's host folder is gone
		verdict  string // in verify's one error; "" for none
		starts   bool
		mounted  bool // /TestLogging is a mount in the container
	}{
		{name: "clean", brk: func(*testing.T, string) {}, starts: true, mounted: true},
		{name: "host folder removed", noSource: true, verdict: "share: " + testShare + ", which is not in the target",
			brk: func(t *testing.T, target string) { os.RemoveAll(filepath.Join(target, testShare)) }},
		{name: "mount point removed", verdict: "share: onto /TestLogging, which the container's rootfs lacks",
			brk: func(t *testing.T, target string) { os.Remove(filepath.Join(target, dir, "rootfs/TestLogging")) }},
		{name: "absolute mount point outside the rootfs", verdict: "share: LXC ignores the entry", starts: true,
			brk: func(t *testing.T, target string) {
				editConfig(t, target, entry, strings.Replace(entry, " TestLogging ", " /TestLogging ", 1))
			}},
		{name: "absolute mount point under the rootfs path", starts: true, mounted: true,
			brk: func(t *testing.T, target string) {
				editConfig(t, target, entry, strings.Replace(entry, " TestLogging ", " "+dir+"/rootfs/TestLogging ", 1))
			}},
		// LXC starts it: the error is thunder-lxc's rule (provision refuses
		// such a share; remove deletes it), and the message says so.
		{name: "share inside the container folder", verdict: "share: LXC starts the container, but", starts: true, mounted: true,
			brk: func(t *testing.T, target string) {
				if err := os.Mkdir(filepath.Join(target, dir, "data"), 0o755); err != nil {
					t.Fatal(err)
				}
				editConfig(t, target, entry, strings.Replace(entry, testShare+" ", dir+"/data ", 1))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := sharedCLITarget(t)
			c.brk(t, target)

			r, code := verifyReport(t, "--target", target)
			var errs []string
			for _, f := range r.Containers[0].Findings {
				if f.Severity == "error" {
					errs = append(errs, f.Check+": "+f.Message)
				}
			}
			if c.verdict == "" && (code != 0 || len(errs) != 0) {
				t.Fatalf("verify: exit %d, errors %q: want none", code, errs)
			}
			if c.verdict != "" {
				check, text, _ := strings.Cut(c.verdict, ": ")
				if code != 1 || len(errs) != 1 || !strings.HasPrefix(errs[0], check+": ") || !strings.Contains(errs[0], text) {
					t.Fatalf("verify: exit %d, errors %q: want exactly one %q", code, errs, c.verdict)
				}
			}

			binds := []string{"/usr/share/Thunder"}
			if !c.noSource {
				binds = append(binds, testShare)
			}
			res := lxctest.Execute(t, target, binds, dir, lxctest.Env(), "/bin/busybox", "sh", "-c",
				"if /bin/busybox grep -q ' /TestLogging ' /proc/self/mountinfo; then echo mounted; fi")
			if started := res.ExitCode == 0; started != c.starts {
				t.Fatalf("LXC started the container: %v, want %v: %s", started, c.starts, res)
			}
			if mounted := strings.TrimSpace(res.Stdout) == "mounted"; c.starts && mounted != c.mounted {
				t.Errorf("/TestLogging mounted: %v, want %v: %s", mounted, c.mounted, res)
			}
		})
	}
}

// sharedCLITarget provisions OCDM with the CLI as the guide's logging
// example: default ID map, uid and gid 1000 kept, a folder (testShare)
// shared as /TestLogging; the rootfs has an executable /usr/bin/ThunderPlugin.
func sharedCLITarget(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, src)
	treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
	target := treetest.SampleTarget(t)
	report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", src, "--keep-id", "1000", "--share", testShare+":TestLogging")
	grantFor(t, report)
	return target
}
