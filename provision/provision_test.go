package provision

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
	"github.com/thunder-lxc/thunder-lxc/provision/thunder"
)

// rootfsTarball makes a busybox rootfs and tars it with GNU tar.
func rootfsTarball(t *testing.T, compress string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, dir)
	out := filepath.Join(t.TempDir(), "rootfs.tar")
	args := []string{"--numeric-owner", "-C", dir, "-cf", out}
	if compress != "" {
		args = append([]string{"--use-compress-program=" + compress}, args...)
	}
	treetest.Run(t, "tar", append(args, ".")...)
	return out
}

func provisionOK(t *testing.T, req Request) *Report {
	t.Helper()
	plan, err := BuildPlan(context.Background(), req)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	report, err := Apply(context.Background(), plan)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return report
}

func provisionErr(req Request) error {
	plan, err := BuildPlan(context.Background(), req)
	if err != nil {
		return err
	}
	_, err = Apply(context.Background(), plan)
	return err
}

func read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestProvisionTarball(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	tarball := rootfsTarball(t, "gzip")
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})

	container := filepath.Join(target, "usr/share/Thunder/OCDM/Container")
	if info, err := os.Stat(filepath.Join(container, "rootfs/bin/busybox")); err != nil || info.Size() == 0 {
		t.Fatalf("rootfs/bin/busybox: %v", err)
	}
	config := read(t, filepath.Join(container, "config"))
	for _, want := range []string{
		"lxc.rootfs.path = dir:/usr/share/Thunder/OCDM/Container/rootfs\n",
		"lxc.arch = linux64\n",
		"lxc.uts.name = OCDM\n",
		"lxc.idmap = u 0 100000 65536\n",
		"lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\n",
		"lxc.environment = PATH\n",
		"lxc.net.0.type = empty\n",
	} {
		if !strings.Contains(config, want) {
			t.Errorf("config lacks %q:\n%s", want, config)
		}
	}
	if strings.Contains(config, target) {
		t.Errorf("config names a build-host path:\n%s", config)
	}
	if !strings.Contains(read(t, filepath.Join(target, "etc/Thunder/plugins/OCDM.json")), `"mode": "Container"`) {
		t.Error("plugin mode not set to Container")
	}
	common := read(t, filepath.Join(target, "usr/share/lxc/config/common.conf"))
	if !strings.Contains(common, "# lxc.seccomp.profile = ") || strings.Contains(common, "\nlxc.seccomp.profile") {
		t.Errorf("seccomp line not commented:\n%s", common)
	}
	if !report.Changed || report.Containers[0].Action != ActionCreate || report.Containers[0].PreviousMode != "Local" {
		t.Errorf("report: %+v", report)
	}
	assertNoStaging(t, target)

	// A second identical run changes nothing, and says so.
	before := treetest.Mtree(t, target)
	again := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball})
	if again.Changed || again.Containers[0].Action != ActionUnchanged {
		t.Errorf("second run: changed %v, action %s", again.Changed, again.Containers[0].Action)
	}
	if after := treetest.Mtree(t, target); after != before {
		t.Error("second identical run changed the target")
	}
}

// writeFile writes a test's input, with its folders, failing the test when
// it cannot.
func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	mkdirAll(t, filepath.Dir(name))
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mkdirAll makes a test's folder, failing the test when it cannot.
func mkdirAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// Each refusal names its file and says what is wrong with it, in one line,
// and leaves the target as it was.
func TestProvisionRefusalsLeaveTargetUnchanged(t *testing.T) {
	treetest.NeedRoot(t)
	tarball := rootfsTarball(t, "")
	is := func(sentinel error) func(error) bool {
		return func(err error) bool { return errors.Is(err, sentinel) }
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, target string) Request
		kind  func(error) bool // what the error wraps, if that is known
		says  []string         // parts of the message
	}{
		{name: "existing container without --force",
			setup: func(t *testing.T, target string) Request {
				mkdirAll(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs"))
				writeFile(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/config"), []byte("hand-made\n"))
				return Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball}
			},
			kind: func(err error) bool {
				var exists *ContainerExistsError
				return errors.As(err, &exists) && len(exists.Changed) == 0
			},
			says: []string{"container /usr/share/Thunder/OCDM/Container", "which thunder-lxc did not make"}},
		{name: "invalid plugin JSON",
			setup: func(t *testing.T, target string) Request {
				writeFile(t, filepath.Join(target, "etc/Thunder/plugins/OCDM.json"), []byte(`{"classname":"OCDM","configuration":{"root":{`))
				return Request{Callsigns: []string{"OCDM"}, Target: target, Source: tarball}
			},
			says: []string{"/etc/Thunder/plugins/OCDM.json", "not valid JSON"}},
		{name: "plugin without root object",
			setup: func(t *testing.T, target string) Request {
				return Request{Callsigns: []string{"DeviceInfo"}, Target: target, Source: tarball}
			},
			kind: is(thunder.ErrNoRoot), says: []string{"/etc/Thunder/plugins/DeviceInfo.json", `no "configuration.root" object`}},
		{name: "corrupt archive",
			setup: func(t *testing.T, target string) Request {
				data, err := os.ReadFile(rootfsTarball(t, "gzip"))
				if err != nil {
					t.Fatal(err)
				}
				bad := filepath.Join(t.TempDir(), "bad.tar.gz")
				writeFile(t, bad, data[:len(data)*2/3])
				return Request{Callsigns: []string{"OCDM"}, Target: target, Source: bad}
			},
			says: []string{"bad.tar.gz", "gzip data is truncated or corrupt"}},
		{name: "not an archive",
			setup: func(t *testing.T, target string) Request {
				bad := filepath.Join(t.TempDir(), "rootfs.tar")
				writeFile(t, bad, bytes.Repeat([]byte("not a tarball\n"), 100))
				return Request{Callsigns: []string{"OCDM"}, Target: target, Source: bad}
			},
			says: []string{"rootfs.tar", "not a tar archive"}},
		{name: "unknown callsign",
			setup: func(t *testing.T, target string) Request {
				return Request{Callsigns: []string{"Nope"}, Target: target, Source: tarball}
			},
			kind: is(thunder.ErrPluginNotFound), says: []string{`callsign "Nope"`, "found: DeviceInfo, OCDM"}},
		{name: "missing rootfs",
			setup: func(t *testing.T, target string) Request {
				return Request{Callsigns: []string{"OCDM"}, Target: target, Source: "/nonexistent/rootfs.tar"}
			},
			kind: is(fs.ErrNotExist), says: []string{"/nonexistent/rootfs.tar"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := treetest.SampleTarget(t)
			req := c.setup(t, target)
			before := treetest.Mtree(t, target)
			err := provisionErr(req)
			if err == nil {
				t.Fatal("provision succeeded, want a refusal")
			}
			if c.kind != nil && !c.kind(err) {
				t.Errorf("error %q (%T) is not of its kind", err, err)
			}
			for _, part := range c.says {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if after := treetest.Mtree(t, target); after != before {
				t.Errorf("target changed by a refused run (%v)", err)
			}
		})
	}
}

func TestProvisionForceReplaces(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	container := filepath.Join(target, "usr/share/Thunder/OCDM/Container")
	mkdirAll(t, filepath.Join(container, "rootfs/old"))
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "xz"), Force: true})
	if report.Containers[0].Action != ActionReplace {
		t.Errorf("action %s, want replace", report.Containers[0].Action)
	}
	if _, err := os.Stat(filepath.Join(container, "rootfs/old")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the old container's files are still there")
	}
	if _, err := os.Stat(filepath.Join(container, "rootfs/bin/busybox")); err != nil {
		t.Error(err)
	}
	assertNoStaging(t, target)
}

func TestProvisionDryRunWritesNothing(t *testing.T) {
	target := treetest.SampleTarget(t)
	before := treetest.Mtree(t, target)
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "zstd"), DryRun: true})
	if after := treetest.Mtree(t, target); after != before {
		t.Fatal("dry run changed the target")
	}
	var diffs []string
	for _, f := range report.Files {
		diffs = append(diffs, f.Diff)
	}
	all := strings.Join(diffs, "")
	for _, want := range []string{`-      "mode": "Local"`, `+      "mode": "Container"`, "-lxc.seccomp.profile", "+# lxc.seccomp.profile"} {
		if !strings.Contains(all, want) {
			t.Errorf("dry-run diffs lack %q:\n%s", want, all)
		}
	}
}

// The target itself is the default source: its container folders must not
// nest, and a second run changes nothing even though the first edited files
// of the source.
func TestProvisionTargetAsSource(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, target)
	mkdirAll(t, filepath.Join(target, "usr/share/Thunder/Other/Container/rootfs/big"))
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target})
	rootfs := filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs")
	for _, nested := range []string{"usr/share/Thunder/Other/Container", "usr/share/Thunder/OCDM/Container"} {
		if _, err := os.Lstat(filepath.Join(rootfs, nested)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("container folder %s was copied into the rootfs", nested)
		}
	}
	if _, err := os.Stat(filepath.Join(rootfs, "etc/Thunder/plugins/OCDM.json")); err != nil {
		t.Errorf("target files not copied: %v", err)
	}
	before := treetest.Mtree(t, target)
	again := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target})
	if again.Changed {
		t.Errorf("second run changed something: %+v", again.Containers)
	}
	if treetest.Mtree(t, target) != before {
		t.Error("second run changed the target")
	}
}

// A target's absolute symlink means the target's file: the build host's
// own LXC config must never be touched.
func TestProvisionFollowsTargetSymlinksInside(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	lxcDir := filepath.Join(target, "usr/share/lxc")
	mkdirAll(t, filepath.Join(target, "opt"))
	treetest.Run(t, "mv", lxcDir, filepath.Join(target, "opt/lxc"))
	if err := os.Symlink("/opt/lxc", lxcDir); err != nil {
		t.Fatal(err)
	}
	hostCommon, hostErr := os.ReadFile("/usr/share/lxc/config/common.conf")
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "bzip2")})
	if !strings.Contains(read(t, filepath.Join(target, "opt/lxc/config/common.conf")), "# lxc.seccomp.profile") {
		t.Error("the target's common.conf behind the symlink was not edited")
	}
	if info, err := os.Lstat(lxcDir); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Error("the target's symlink was replaced")
	}
	if hostErr == nil {
		if now, _ := os.ReadFile("/usr/share/lxc/config/common.conf"); !bytes.Equal(now, hostCommon) {
			t.Fatal("the build host's common.conf changed")
		}
	}
}

func TestProvisionWPEFrameworkLayout(t *testing.T) {
	treetest.NeedRoot(t)
	target := filepath.Join(t.TempDir(), "target")
	mkdirAll(t, filepath.Join(target, "usr/share/WPEFramework"))
	// Found by its callsign key, in the guide's singular plugin/ folder.
	writeFile(t, filepath.Join(target, "etc/WPEFramework/plugin/drm.json"),
		[]byte(`{"callsign":"OCDM","classname":"OCDM","configuration":{"root":{"outofprocess":true}}}`))
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "lz4"), Seccomp: lxc.SeccompKeep})
	if report.Layout != "wpeframework" {
		t.Errorf("layout %s", report.Layout)
	}
	if _, err := os.Stat(filepath.Join(target, "usr/share/WPEFramework/OCDM/Container/config")); err != nil {
		t.Error(err)
	}
	got := read(t, filepath.Join(target, "etc/WPEFramework/plugin/drm.json"))
	if got != `{"callsign":"OCDM","classname":"OCDM","configuration":{"root":{"outofprocess":true,"mode":"Container"}}}` {
		t.Errorf("plugin config: %s", got)
	}
}

func assertNoStaging(t *testing.T, target string) {
	t.Helper()
	err := filepath.Walk(target, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(info.Name(), stagingPrefix) {
			t.Errorf("staging folder left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Several callsigns: the source is read once and every container gets the
// same rootfs, with its own config.
func TestProvisionSeveralCallsigns(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	writeFile(t, filepath.Join(target, "etc/Thunder/plugins/Netflix.json"),
		[]byte(`{"classname":"Netflix","configuration":{"root":{"mode":"Off"}}}`))
	report := provisionOK(t, Request{Callsigns: []string{"OCDM", "Netflix"}, Target: target, Source: rootfsTarball(t, "xz")})
	if len(report.Containers) != 2 || report.Containers[1].Action != ActionCreate || report.Containers[1].PreviousMode != "Off" {
		t.Fatalf("report: %+v", report.Containers)
	}
	a := treetest.Mtree(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs"))
	b := treetest.Mtree(t, filepath.Join(target, "usr/share/Thunder/Netflix/Container/rootfs"))
	if a != b {
		t.Errorf("the two containers' rootfs differ:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(read(t, filepath.Join(target, "usr/share/Thunder/Netflix/Container/config")), "lxc.uts.name = Netflix\n") {
		t.Error("Netflix config lacks its own host name")
	}
	assertNoStaging(t, target)
}
