package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// imageFixture is a device rootfs (deviceRootfs with pluginTarget's
// plugins: devices, hardlinks, xattrs, a capability, three plugins,
// newuidmap and an /etc/subuid) as a folder and as a GNU tar archive, in a
// work folder an ordinary user can use.
type imageFixture struct {
	bin, work, rootfs, in string
}

func newImageFixture(t *testing.T) *imageFixture {
	t.Helper()
	treetest.NeedTool(t, "setpriv", "util-linux")
	f := &imageFixture{bin: buildBinary(t), rootfs: deviceRootfs(t), work: t.TempDir()}
	addPlugins(t, f.rootfs)
	// t.TempDir's folders are 0700: open the test's own ones (never the
	// system's /tmp above them) so the user can reach them.
	os.Chmod(f.work, 0o777)
	os.Chmod(filepath.Dir(f.work), 0o755)
	f.in = filepath.Join(f.work, "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", f.rootfs, "-cpf", f.in, ".")
	os.Chmod(f.in, 0o644)
	return f
}

// asUser runs thunder-lxc as uid 65534, which must succeed.
func (f *imageFixture) asUser(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", f.bin}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("thunder-lxc %s as uid 65534: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// file writes a file the user can read into the work folder.
func (f *imageFixture) file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(f.work, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// unpackImage unpacks a tarball with GNU tar as root, as an image builder
// does, into a new folder.
func unpackImage(t *testing.T, tarball string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "unpacked")
	os.Mkdir(dir, 0o755)
	treetest.Run(t, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-xpf", tarball)
	return dir
}

func isStateFile(rel string) bool { return filepath.Base(rel) == ".thunder-lxc.json" }

// sameTargets compares two trees whole (states left out, folder times
// not compared) and the state of each container in them without the
// fingerprints of its source: a folder and an image are fingerprinted
// differently; every other record must be the same.
func sameTargets(t *testing.T, what, want, got string) {
	t.Helper()
	sameLines(t, what, treeLines(t, want, isStateFile, nil), treeLines(t, got, isStateFile, nil))
	states, _ := filepath.Glob(filepath.Join(want, "usr/share/Thunder/*/Container/.thunder-lxc.json"))
	for _, s := range states {
		rel, _ := filepath.Rel(want, s)
		w, _ := json.Marshal(stateWithoutSource(t, s))
		g, _ := json.Marshal(stateWithoutSource(t, filepath.Join(got, rel)))
		if string(w) != string(g) {
			t.Errorf("%s: %s:\nwant %s\ngot  %s", what, rel, w, g)
		}
	}
}

// sameBytes fails unless the files are byte for byte the same.
func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s and %s differ", filepath.Base(a), filepath.Base(b))
	}
}

// The guide's way, the image its own rootfs source: OCDM keeps ID 1000 and
// shares TestLogging (a group of its own), WebKitBrowser and Cobalt take
// the defaults (a second group, whose rootfs holds what the first group
// changed, as on a folder).
const threeFromTheImage = `containers:
  - callsign: OCDM
    keep-id: [1000]
    share: [/var/log/TestLogging:TestLogging]
  - callsign: WebKitBrowser
  - callsign: Cobalt
`

// As an ordinary user, apply -f FILE --image IN -o OUT gives an image that
// GNU tar unpacks, as root, into the very tree apply -f FILE --target
// makes of the same rootfs folder as root: every path, type, mode, owner,
// content, link, device, hardlink, xattr and file time (SOURCE_DATE_EPOCH
// fixes the times of what both write). The same run again gives the same
// bytes, compressed too.
func TestApplyImageEqualsApplyTarget(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	f := newImageFixture(t)
	file := f.file(t, "containers.yaml", threeFromTheImage)

	target := filepath.Join(t.TempDir(), "target")
	treetest.Run(t, "cp", "-a", f.rootfs, target)
	mustRun(t, "apply", "-f", file, "--target", target)

	out := filepath.Join(f.work, "rootfs-lxc.tar")
	f.asUser(t, "apply", "-f", file, "--image", f.in, "-o", out)
	sameTargets(t, "the trees of apply --target and apply --image", target, unpackImage(t, out))

	again := filepath.Join(f.work, "again.tar")
	f.asUser(t, "apply", "-f", file, "--image", f.in, "-o", again)
	sameBytes(t, out, again)
	zst := []string{filepath.Join(f.work, "one.tar.zst"), filepath.Join(f.work, "two.tar.zst")}
	for _, o := range zst {
		f.asUser(t, "apply", "-f", file, "--image", f.in, "-o", o)
	}
	sameBytes(t, zst[0], zst[1])
}

// remove --image of an image that image made gives back the input's tree:
// compared unpacked, every path, type, mode, owner, content, link,
// device, hardlink and xattr, and the time of every file but those remove
// restores (the plugin configs, common.conf, /etc/subuid, Thunder's
// config), which get the
// run's time; /etc/subgid, which image added, is gone. Removing one
// container first keeps the seccomp line commented and the share folder
// for the others. The same remove again gives the same bytes.
func TestRemoveImageGivesBackTheInput(t *testing.T) {
	f := newImageFixture(t)
	provisioned := filepath.Join(f.work, "provisioned.tar")
	f.asUser(t, "image", f.in, "-o", provisioned, "OCDM", "WebKitBrowser", "Cobalt",
		"--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging")

	oneGone := filepath.Join(f.work, "one-gone.tar.gz")
	f.asUser(t, "remove", "OCDM", "--image", provisioned, "-o", oneGone)
	tree := unpackImage(t, oneGone)
	if got := readText(t, filepath.Join(tree, "usr/share/lxc/config/common.conf")); !strings.Contains(got, "\n# lxc.seccomp.profile = ") {
		t.Errorf("common.conf after removing one of three containers: the seccomp line must stay commented:\n%s", got)
	}
	if got, want := readText(t, filepath.Join(tree, "etc/Thunder/plugins/OCDM.json")), readText(t, filepath.Join(f.rootfs, "etc/Thunder/plugins/OCDM.json")); got != want {
		t.Errorf("OCDM.json after remove:\n%s\nwant, as in the input:\n%s", got, want)
	}
	if _, err := os.Lstat(filepath.Join(tree, "usr/share/Thunder/OCDM/Container")); !os.IsNotExist(err) {
		t.Errorf("OCDM's container is still there (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(tree, "var/log/TestLogging")); err != nil {
		t.Errorf("the share folder the other two containers rely on: %v", err)
	}

	removed := filepath.Join(f.work, "removed.tar")
	out := f.asUser(t, "remove", "WebKitBrowser", "Cobalt", "--image", oneGone, "-o", removed)
	if !strings.Contains(out, "Image "+oneGone+" → "+removed) {
		t.Errorf("remove's report:\n%s", out)
	}
	restored := func(rel string) bool {
		return strings.HasPrefix(rel, "etc/Thunder/plugins/") || rel == "usr/share/lxc/config/common.conf" || rel == "etc/subuid" || rel == "etc/Thunder/config.json"
	}
	sameLines(t, "the input and the image after image and remove",
		treeLines(t, unpackImage(t, f.in), nil, restored), treeLines(t, unpackImage(t, removed), nil, restored))

	again := filepath.Join(f.work, "again.tar")
	f.asUser(t, "remove", "WebKitBrowser", "Cobalt", "--image", oneGone, "-o", again)
	sameBytes(t, removed, again)
}

// An apply file's remove: list works on an image as on a folder: three
// files applied one after the other, each to the image the one before
// wrote and to a folder, give the same tree at every step; the last,
// removing what remains, gives back the input (times of the restored
// files aside). The first file again on the image it made changes
// nothing.
func TestApplyImageRemoveListStepByStep(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	f := newImageFixture(t)
	if err := os.Link(gzipRootfs(t), filepath.Join(f.work, "rootfs.tar.gz")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(f.work, "rootfs.tar.gz"), 0o644)
	target := filepath.Join(t.TempDir(), "target")
	treetest.Run(t, "cp", "-a", f.rootfs, target)
	steps := []string{
		"rootfs: rootfs.tar.gz\ncontainers:\n  - callsign: OCDM\n    keep-id: 1000\n    share: /var/log/TestLogging:TestLogging\n  - callsign: WebKitBrowser\n",
		// Cobalt from the image itself, after the remove of OCDM.
		"containers:\n  - callsign: Cobalt\nremove: [OCDM]\n",
		"remove: [WebKitBrowser, Cobalt]\n",
	}
	image := f.in
	for i, step := range steps {
		file := f.file(t, "step.yaml", step)
		mustRun(t, "apply", "-f", file, "--target", target)
		next := filepath.Join(f.work, "step"+string(rune('1'+i))+".tar.gz")
		f.asUser(t, "apply", "-f", file, "--image", image, "-o", next)
		image = next
		sameTargets(t, "step "+string(rune('1'+i))+": the trees of apply --target and apply --image", target, unpackImage(t, image))
		if i == 0 {
			// A rerun of the file on the image it made changes nothing.
			out := f.asUser(t, "apply", "-f", file, "--image", image, "-o", filepath.Join(f.work, "rerun.tar"))
			if strings.Count(out, "Nothing to change") != 2 || strings.Contains(out, "Done") {
				t.Errorf("a rerun on the image the file made:\n%s", out)
			}
		}
	}
	restored := func(rel string) bool {
		return strings.HasPrefix(rel, "etc/Thunder/plugins/") || rel == "usr/share/lxc/config/common.conf" || rel == "etc/subuid" || rel == "etc/Thunder/config.json"
	}
	sameLines(t, "the input and the image after the three files",
		treeLines(t, f.rootfs, nil, restored), treeLines(t, unpackImage(t, image), nil, restored))
}
