package buildroot

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// hookEnv is the environment a hook script gets: what the top Makefile
// exports to every recipe, TARGET_DIR being the folder the hook works on, and
// PATH as Buildroot sets it for hooks (EXTRA_ENV, the fakeroot call).
func (br buildroot) hookEnv(targetDir string) []string {
	env := []string{"TARGET_DIR=" + targetDir, "LANG=C", "LC_ALL=C", "TZ=UTC",
		"PATH=" + strings.Trim(br.vars["BR_PATH"], `"`)}
	for _, name := range []string{"BR2_CONFIG", "STAGING_DIR", "HOST_DIR", "BINARIES_DIR", "BASE_DIR", "BR2_EXTERNAL_THUNDER_LXC_PATH"} {
		env = append(env, name+"="+br.vars[name])
	}
	return env
}

// hookLine is the command line Buildroot runs a hook with: make expands
// "$(EXTRA_ENV) SCRIPT DIR ARGS" and a shell reads it (fs/common.mk echoes
// it into the fakeroot script, the top Makefile runs the post-image line
// itself; either way the shell removes the quotes).
func hookLine(t *testing.T, words ...string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "echo "+strings.Join(words, " ")).Output()
	if err != nil {
		t.Fatalf("echo %s: %v", strings.Join(words, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// script returns this tree's hook script called name from Buildroot's
// expanded list of scripts (where the board's may share its name).
func (br buildroot) script(t *testing.T, list, name string) string {
	t.Helper()
	ours := filepath.Join(br.vars["BR2_EXTERNAL_THUNDER_LXC_PATH"], "scripts", name)
	for _, s := range strings.Fields(strings.Trim(list, `"`)) {
		if s == ours {
			return s
		}
	}
	t.Fatalf("%s is not among the configured scripts %s", ours, list)
	return ""
}

// needHookTools skips a hook test that cannot become the build user or
// lacks the tools Buildroot's image step uses.
func needHookTools(t *testing.T) {
	t.Helper()
	treetest.NeedRoot(t) // to become the build user
	treetest.NeedTool(t, "setpriv", "util-linux")
	treetest.NeedTool(t, "fakeroot", "fakeroot")
}

// asBuildUser runs a shell command line as the build user with env only.
func asBuildUser(env []string, line string) ([]byte, error) {
	args := append([]string{fmt.Sprintf("--reuid=%d", buildUser), fmt.Sprintf("--regid=%d", buildUser),
		"--clear-groups", "env", "-i"}, env...)
	return exec.Command("setpriv", append(args, "sh", "-c", line)...).CombinedOutput()
}

// makeRootfsTar makes BINARIES_DIR/rootfs.tar the way Buildroot's image step
// does (fs/common.mk, fs/tar/tar.mk), as the build user: a fresh copy of the
// target, then in one fakeroot session the owners set to root, what mkusers
// and makedevs apply from the users, permission and device tables (the
// default user's home, busybox setuid, a static /dev/console), the
// post-fakeroot hook line when given, and tar.
func (br buildroot) makeRootfsTar(t *testing.T, hookLine string) (rootfsTar string) {
	t.Helper()
	fsDir, targetDir, images := br.vars["ROOTFS_TAR_DIR"], br.vars["ROOTFS_TAR_TARGET_DIR"], br.vars["BINARIES_DIR"]
	rootfsTar = filepath.Join(images, "rootfs.tar")
	os.RemoveAll(fsDir)
	os.Remove(rootfsTar)
	// The target as the build leaves it: a busybox system with the Thunder
	// sample's configuration, all owned by the build user.
	treetest.BusyboxRootfs(t, targetDir)
	treetest.Run(t, "cp", "-a", filepath.Join(treetest.RepoRoot(t), "testdata/sample-target")+"/.", targetDir)
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	owner := fmt.Sprintf("%d:%d", buildUser, buildUser)
	treetest.Run(t, "chown", "-R", owner, fsDir, images)

	steps := []string{
		"#!/bin/sh",
		"set -e",
		"chown -h -R 0:0 " + targetDir,
		"chown -h 1000:1000 " + targetDir + "/home/default",
		"chmod 4755 " + targetDir + "/bin/busybox",
		"mknod -m 0600 " + targetDir + "/dev/console c 5 1",
	}
	if hookLine != "" {
		steps = append(steps, hookLine)
	}
	steps = append(steps, fmt.Sprintf("(cd %s; find -print0 | LC_ALL=C sort -z | %s %s -cf %s --null --xattrs-include='*' --no-recursion -T - --numeric-owner)",
		targetDir, br.vars["TAR"], br.vars["TAR_OPTS"], rootfsTar))
	fakerootScript := filepath.Join(fsDir, "fakeroot")
	if err := os.WriteFile(fakerootScript, []byte(strings.Join(steps, "\n")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := asBuildUser(br.hookEnv(targetDir), "FAKEROOTDONTTRYCHOWN=1 fakeroot -- "+fakerootScript); err != nil {
		t.Fatalf("fakeroot step as uid %d: %v\n%s\nThe fakeroot script:\n%s", buildUser, err, out, strings.Join(steps, "\n"))
	}
	return rootfsTar
}

// The post-fakeroot script, run by Buildroot's image step as the build user,
// puts the container into the target before tar packs it: rootfs.tar holds
// it, with the owners, setuid bit and device node the image has, shifted
// into the container's ID range.
func TestPostFakerootScript(t *testing.T) {
	needHookTools(t)
	br := configured(t)
	built(t)
	// The qemu defconfig's BR2_ROOTFS_POST_SCRIPT_ARGS (its own path) comes
	// along, as it does in a real build: the script must ignore it.
	line := hookLine(t, br.vars["EXTRA_ENV"], br.script(t, br.vars["BR2_ROOTFS_POST_FAKEROOT_SCRIPT"], "post-fakeroot.sh"),
		br.vars["ROOTFS_TAR_TARGET_DIR"], br.vars["BR2_ROOTFS_POST_SCRIPT_ARGS"], br.vars["BR2_ROOTFS_POST_FAKEROOT_SCRIPT_ARGS"])
	assertContainer(t, readTar(t, br.makeRootfsTar(t, line)))
}

// The post-image script, run as the build user outside any fakeroot, writes
// rootfs-thunder-lxc.tar holding rootfs.tar's entries plus the container,
// leaves rootfs.tar as it was, and a rerun (every make runs it again) writes
// the same bytes.
func TestPostImageScript(t *testing.T) {
	needHookTools(t)
	br := configured(t)
	built(t)
	rootfsTar := br.makeRootfsTar(t, "")
	line := hookLine(t, br.vars["EXTRA_ENV"], br.script(t, br.vars["BR2_ROOTFS_POST_IMAGE_SCRIPT"], "post-image.sh"),
		br.vars["BINARIES_DIR"], br.vars["BR2_ROOTFS_POST_SCRIPT_ARGS"], br.vars["BR2_ROOTFS_POST_IMAGE_SCRIPT_ARGS"])
	env := br.hookEnv(br.vars["BASE_TARGET_DIR"])
	before := sha256File(t, rootfsTar)
	out := filepath.Join(br.vars["BINARIES_DIR"], "rootfs-thunder-lxc.tar")

	var sums [2][sha256.Size]byte
	for run := range sums {
		if msg, err := asBuildUser(env, line); err != nil {
			t.Fatalf("post-image.sh as uid %d, run %d: %v\n%s", buildUser, run+1, err, msg)
		}
		sums[run] = sha256File(t, out)
	}
	if sha256File(t, rootfsTar) != before {
		t.Error("post-image.sh changed rootfs.tar")
	}
	if sums[0] != sums[1] {
		t.Error("a second post-image run wrote a different rootfs-thunder-lxc.tar")
	}
	entries := readTar(t, out)
	assertContainer(t, entries)
	for name := range readTar(t, rootfsTar) {
		if _, ok := entries[name]; !ok {
			t.Errorf("rootfs-thunder-lxc.tar lacks rootfs.tar's %s", name)
		}
	}
}

func sha256File(t *testing.T, name string) [sha256.Size]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// entry is a tar header and, for regular files, the content.
type entry struct {
	*tar.Header
	data []byte
}

// readTar returns a tarball's entries by cleaned name ("etc/passwd").
func readTar(t *testing.T, name string) map[string]entry {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries := make(map[string]entry)
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %s: %v", name, hdr.Name, err)
		}
		entries[filepath.Clean(strings.TrimPrefix(hdr.Name, "/"))] = entry{hdr, data}
	}
}

// assertContainer checks an image made from the test target with the test
// configuration: OCDM's container is there, configured, holding the image's
// own files with its owners shifted (root to 100000, 1000 kept by --keep-id),
// its setuid bit and its device node, and the plugin runs in it.
func assertContainer(t *testing.T, entries map[string]entry) {
	t.Helper()
	const container = "usr/share/Thunder/OCDM/Container"
	config, ok := entries[container+"/config"]
	if !ok {
		t.Fatalf("no %s/config in the image", container)
	}
	for _, line := range []string{
		"lxc.rootfs.path = dir:/" + container + "/rootfs",
		"lxc.uts.name = ocdm-box",
		"lxc.idmap = u 1000 1000 1",
	} {
		if !bytes.Contains(config.data, []byte(line+"\n")) {
			t.Errorf("the container's config lacks %q:\n%s", line, config.data)
		}
	}

	var plugin struct {
		Configuration struct{ Root struct{ Mode string } }
	}
	if err := json.Unmarshal(entries["etc/Thunder/plugins/OCDM.json"].data, &plugin); err != nil {
		t.Errorf("etc/Thunder/plugins/OCDM.json: %v", err)
	} else if plugin.Configuration.Root.Mode != "Container" {
		t.Errorf("OCDM's configuration.root.mode is %q, want Container", plugin.Configuration.Root.Mode)
	}

	for _, want := range []struct {
		name         string
		uid, gid     int
		typeflag     byte
		setuid       bool
		major, minor int64
	}{
		{name: "bin/busybox", typeflag: tar.TypeReg, setuid: true},
		{name: "dev/console", typeflag: tar.TypeChar, major: 5, minor: 1},
		{name: container + "/rootfs/bin/busybox", uid: 100000, gid: 100000, typeflag: tar.TypeReg, setuid: true},
		{name: container + "/rootfs/dev/console", uid: 100000, gid: 100000, typeflag: tar.TypeChar, major: 5, minor: 1},
		{name: container + "/rootfs/home/default", uid: 1000, gid: 1000, typeflag: tar.TypeDir},
	} {
		got, ok := entries[want.name]
		switch {
		case !ok:
			t.Errorf("no %s in the image", want.name)
		case got.Uid != want.uid || got.Gid != want.gid || got.Typeflag != want.typeflag ||
			got.Mode&0o4000 != 0 != want.setuid || got.Devmajor != want.major || got.Devminor != want.minor:
			t.Errorf("%s: owner %d:%d, type %c, mode %o, device %d,%d; want %d:%d, type %c, setuid %v, device %d,%d",
				want.name, got.Uid, got.Gid, got.Typeflag, got.Mode, got.Devmajor, got.Devminor,
				want.uid, want.gid, want.typeflag, want.setuid, want.major, want.minor)
		}
	}
	for name := range entries {
		if strings.HasPrefix(name, container+"/rootfs/"+container) {
			t.Errorf("the container holds a container of its own: %s", name)
			break
		}
	}
}
