// Package buildroot tests the BR2_EXTERNAL tree in this folder against a real
// Buildroot: the source snapshot in the third-party folder that
// THUNDER_LXC_THIRD_PARTY names (.ci/run sets it to ../shared/third-party),
// extracted once for all the tests.
//
// Buildroot cannot download or build its toolchain here, so the tests use what
// works offline: check-package, kconfig, show-info and show-vars, the
// package's own build rules with the system Go standing in for host-go, and
// the hook scripts run the way fs/common.mk and the top Makefile run them,
// with the environment and arguments Buildroot gives them.
package buildroot

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// thirdPartyEnv names the folder of third-party sources, and buildrootTarball
// the Buildroot snapshot in it (Go 1.26.6, the host-golang-package
// infrastructure this tree uses).
const (
	thirdPartyEnv    = "THUNDER_LXC_THIRD_PARTY"
	buildrootTarball = "buildroot-e991fa07.tar.gz"
)

// configFragment is what a user adds to a defconfig to use this tree: the
// package, its settings for the hook scripts and the hooks themselves (the
// qemu board's post-image script stays first, as a real board's would).
// --hostname and --keep-id leave marks the tests look for in the result.
const configFragment = `BR2_PACKAGE_HOST_THUNDER_LXC=y
BR2_PACKAGE_HOST_THUNDER_LXC_CALLSIGNS="OCDM"
BR2_PACKAGE_HOST_THUNDER_LXC_OPTIONS="--hostname ocdm-box --keep-id 1000"
BR2_ROOTFS_POST_FAKEROOT_SCRIPT="$(BR2_EXTERNAL_THUNDER_LXC_PATH)/scripts/post-fakeroot.sh"
BR2_ROOTFS_POST_IMAGE_SCRIPT="board/qemu/post-image.sh $(BR2_EXTERNAL_THUNDER_LXC_PATH)/scripts/post-image.sh"
`

// buildUser is the ordinary user the hook scripts run as, as a Buildroot
// build does (nobody: it owns nothing else on the machine).
const buildUser = 65534

// workDir holds the extracted Buildroot and its output folder; TestMain
// removes it.
var workDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// The stages every test builds on, each done once: extract, configure, build.
var (
	extractOnce   = sync.OnceValues(extract)
	configureOnce = sync.OnceValues(configure)
	buildOnce     = sync.OnceValues(build)
)

// buildroot is an extracted Buildroot, its output folder (O=), and what
// Buildroot says of the configuration there: the package's show-info and the
// expanded values of hookVars.
type buildroot struct {
	top, out string
	info     map[string]packageInfo
	vars     map[string]string
}

// packageInfo is the part of show-info the tests read.
type packageInfo struct {
	Type, Name, Version string
	Dependencies        []string
}

// hookVars are the make variables the hook tests need: what Buildroot
// exports to every recipe, the hooks' command lines and the tar step.
var hookVars = []string{
	"BR2_CONFIG", "STAGING_DIR", "HOST_DIR", "BINARIES_DIR", "BASE_DIR", "BASE_TARGET_DIR",
	"BR2_EXTERNAL_THUNDER_LXC_PATH", "BR_PATH", "EXTRA_ENV",
	"BR2_ROOTFS_POST_FAKEROOT_SCRIPT", "BR2_ROOTFS_POST_IMAGE_SCRIPT", "BR2_ROOTFS_POST_SCRIPT_ARGS",
	"BR2_ROOTFS_POST_FAKEROOT_SCRIPT_ARGS", "BR2_ROOTFS_POST_IMAGE_SCRIPT_ARGS",
	"ROOTFS_TAR_DIR", "ROOTFS_TAR_TARGET_DIR", "TAR", "TAR_OPTS",
}

// extracted returns the Buildroot top folder, skipping the test when the
// snapshot is not there.
func extracted(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(thirdPartyEnv)
	if dir == "" {
		t.Skipf("needs the Buildroot snapshot %s: set %s to the folder holding it (.ci/run sets ../shared/third-party)",
			buildrootTarball, thirdPartyEnv)
	}
	if _, err := os.Stat(filepath.Join(dir, buildrootTarball)); err != nil {
		t.Skipf("needs the Buildroot snapshot %s: %v", buildrootTarball, err)
	}
	top, err := extractOnce()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func extract() (string, error) {
	dir, err := os.MkdirTemp("", "thunder-lxc-buildroot-")
	if err != nil {
		return "", err
	}
	workDir = dir
	// The hook scripts run as the build user, who must reach the output folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	tarball := filepath.Join(os.Getenv(thirdPartyEnv), buildrootTarball)
	if out, err := exec.Command("tar", "-xzf", tarball, "-C", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("extract %s: %v\n%s", tarball, err, out)
	}
	tops, _ := filepath.Glob(filepath.Join(dir, "*", "Makefile"))
	if len(tops) != 1 {
		return "", fmt.Errorf("%s: want one top folder holding Buildroot's Makefile, found %d", tarball, len(tops))
	}
	return filepath.Dir(tops[0]), nil
}

// configured returns Buildroot configured with qemu_x86_64_defconfig, this
// tree and configFragment.
func configured(t *testing.T) buildroot {
	t.Helper()
	extracted(t)
	treetest.NeedTool(t, "make", "make")
	treetest.NeedTool(t, "gcc", "gcc") // kconfig is built from source
	br, err := configureOnce()
	if err != nil {
		t.Fatal(err)
	}
	return br
}

func configure() (buildroot, error) {
	top, err := extractOnce()
	if err != nil {
		return buildroot{}, err
	}
	br := buildroot{top: top, out: filepath.Join(workDir, "output")}
	external, err := filepath.Abs(".")
	if err != nil {
		return br, err
	}
	if _, err := br.make("BR2_EXTERNAL="+external, "qemu_x86_64_defconfig"); err != nil {
		return br, err
	}
	config, err := os.OpenFile(filepath.Join(br.out, ".config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return br, err
	}
	_, err = config.WriteString(configFragment)
	if err := errors.Join(err, config.Close()); err != nil {
		return br, err
	}
	if _, err := br.make("olddefconfig"); err != nil {
		return br, err
	}
	// One make run for both: each run reads all of Buildroot's packages.
	out, err := br.make("host-thunder-lxc-show-info", "show-vars", "VARS="+strings.Join(hookVars, " "))
	if err != nil {
		return br, err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var shown map[string]struct{ Expanded string }
	if err := errors.Join(dec.Decode(&br.info), dec.Decode(&shown)); err != nil {
		return br, fmt.Errorf("show-info and show-vars: %v\n%s", err, out)
	}
	br.vars = make(map[string]string)
	for _, name := range hookVars {
		v, ok := shown[name]
		if !ok {
			return br, fmt.Errorf("show-vars: Buildroot has no variable %s", name)
		}
		br.vars[name] = v.Expanded
	}
	return br, nil
}

// make runs Buildroot's make on the output folder and returns its stdout.
func (br buildroot) make(args ...string) ([]byte, error) {
	cmd := exec.Command("make", append([]string{"-s", "-C", br.top, "O=" + br.out}, args...)...)
	// An outer make (make test) passes its job server and flags down; they
	// mean nothing to Buildroot's make.
	cmd.Env = withoutVars(os.Environ(), "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("make %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out, nil
}

func withoutVars(env []string, names ...string) []string {
	var kept []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !contains(names, name) {
			kept = append(kept, kv)
		}
	}
	return kept
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// built returns HOST_DIR after Buildroot's own rules have built and
// installed host-thunder-lxc.
func built(t *testing.T) string {
	t.Helper()
	configured(t)
	treetest.NeedTool(t, "rsync", "rsync") // the local site method copies the source with it
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command on PATH: the system Go stands in for Buildroot's host-go")
	}
	hostDir, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return hostDir
}

// build runs Buildroot's rules for host-thunder-lxc (rsync of the source,
// the vendoring hook, go build with Buildroot's flags, install into
// HOST_DIR/bin). Buildroot cannot build its own tools here, so the system's
// stand in where Buildroot installs them: Go for host-go ($(HOST_DIR)/bin/go,
// GOROOT $(HOST_DIR)/lib/go), GNU tar for host-tar, which Buildroot's image
// step uses when it finds the system tar too old. make is told (-o) that
// host-go and the other prerequisites are done. The module and build caches
// are the system Go's, so the vendoring works offline and compiled packages
// are reused.
func build() (string, error) {
	br, err := configureOnce()
	if err != nil {
		return "", err
	}
	hostDir := filepath.Join(br.out, "host")
	goEnv, err := exec.Command("go", "env", "GOROOT", "GOCACHE", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %v", err)
	}
	env := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	if len(env) != 4 {
		return "", fmt.Errorf("go env: want 4 lines, got %q", goEnv)
	}
	goroot, gocache, gomodcache, goproxy := env[0], env[1], env[2], env[3]
	for _, dir := range []string{"bin", "lib"} {
		if err := os.MkdirAll(filepath.Join(hostDir, dir), 0o755); err != nil {
			return "", err
		}
	}
	systemTar, err := exec.LookPath("tar")
	if err != nil {
		return "", err
	}
	if err := errors.Join(
		os.Symlink(goroot, filepath.Join(hostDir, "lib/go")),
		os.Symlink(filepath.Join(goroot, "bin/go"), filepath.Join(hostDir, "bin/go")),
		os.Symlink(systemTar, filepath.Join(hostDir, "bin/tar")),
	); err != nil {
		return "", err
	}
	args := []string{"-o", "host-go", "-o", "host-skeleton", "-o", "host-tar", "-o", "dependencies",
		"HOST_GO_HOST_CACHE=" + gocache, "GOPROXY=" + goproxy}
	// Buildroot's module cache is $(HOST_GO_GOPATH)/pkg/mod.
	if gopath, ok := strings.CutSuffix(gomodcache, "/pkg/mod"); ok {
		args = append(args, "HOST_GO_GOPATH="+gopath)
	}
	if _, err := br.make(append(args, "host-thunder-lxc")...); err != nil {
		return "", err
	}
	return hostDir, nil
}

// Every file of the tree passes Buildroot's check-package, and check-package
// really checks the ones it knows (Kconfig files, the .mk, the shell scripts
// through shellcheck) rather than skipping them unrecognised.
func TestCheckPackageIsClean(t *testing.T) {
	top := extracted(t)
	treetest.NeedTool(t, "shellcheck", "shellcheck")
	// check-package needs the system Python's magic and flake8 modules; a
	// python3 earlier on PATH (pyenv, a virtualenv) may lack them.
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import magic, flake8").CombinedOutput(); err != nil {
		t.Skipf("check-package needs %s with the modules magic and flake8 (Debian packages python3-magic, flake8): %v\n%s", python, err, out)
	}
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkPackage := func(flags ...string) ([]byte, error) {
		args := append([]string{filepath.Join(top, "utils/check-package"), "--br2-external"}, flags...)
		return exec.Command(python, append(args, files...)...).CombinedOutput()
	}

	dryRun, err := checkPackage("--dry-run")
	if err != nil {
		t.Fatalf("check-package --dry-run: %v\n%s", err, dryRun)
	}
	for file, check := range map[string]string{
		"Config.in":                          "HelpText",
		"package/thunder-lxc/Config.in.host": "HelpText",
		"package/thunder-lxc/thunder-lxc.mk": "TypoInPackageVariable",
		"scripts/config.sh":                  "Shellcheck",
		"scripts/post-fakeroot.sh":           "Shellcheck",
		"scripts/post-image.sh":              "Shellcheck",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(file) + `: would run: .*'` + check + `'`).Match(dryRun) {
			t.Errorf("check-package would not run %s on %s:\n%s", check, file, dryRun)
		}
	}

	out, err := checkPackage()
	if err != nil || !bytes.Contains(out, []byte("\n0 warnings generated")) {
		t.Errorf("check-package --br2-external: %v\n%s", err, out)
	}
}

// With the tree added, kconfig keeps the package and its settings in the
// configuration, selects Buildroot's Go for it, and show-info describes it
// with the checkout's version.
func TestHostThunderLxcIsSelectable(t *testing.T) {
	br := configured(t)
	config, err := os.ReadFile(filepath.Join(br.out, ".config"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range append(strings.Split(strings.TrimSpace(configFragment), "\n"), "BR2_PACKAGE_HOST_GO=y") {
		if !bytes.Contains(config, []byte("\n"+line+"\n")) {
			t.Errorf(".config after olddefconfig lacks %s", line)
		}
	}
	pkg, ok := br.info["host-thunder-lxc"]
	if !ok {
		t.Fatalf("host-thunder-lxc-show-info does not describe host-thunder-lxc: %v", br.info)
	}
	if pkg.Type != "host" || pkg.Name != "thunder-lxc" || !contains(pkg.Dependencies, "host-go") {
		t.Errorf("show-info: type %q, name %q, dependencies %q; want host, thunder-lxc, host-go among them",
			pkg.Type, pkg.Name, pkg.Dependencies)
	}
	if want := checkoutVersion(); pkg.Version != want {
		t.Errorf("show-info version %q, want %q (the checkout's)", pkg.Version, want)
	}
}

// checkoutVersion is the version the package gives a build from this
// checkout: git describe, as make build names it, or "custom" without git.
func checkoutVersion() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "custom"
	}
	return strings.TrimSpace(string(out))
}

// Buildroot's rules build the package: the source copied by the local site
// method, modules vendored by the package's hook, go build with -trimpath
// -buildvcs=false, the binary in HOST_DIR/bin reporting the package version
// it was given through ldflags.
func TestBuildrootBuildsHostThunderLxc(t *testing.T) {
	br := configured(t)
	hostDir := built(t)
	out, err := exec.Command(filepath.Join(hostDir, "bin/thunder-lxc"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("thunder-lxc version: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "thunder-lxc "+br.info["host-thunder-lxc"].Version; got != want {
		t.Errorf("thunder-lxc version printed %q, want %q (show-info's)", got, want)
	}
}

// Buildroot builds Go packages with its own Go and GOTOOLCHAIN=local, so
// go.mod may not ask for a newer Go than the one Buildroot ships.
func TestGoModIsBuildableByBuildrootsGo(t *testing.T) {
	top := extracted(t)
	goMk, err := os.ReadFile(filepath.Join(top, "package/go/go.mk"))
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(treetest.RepoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	buildrootGo := regexp.MustCompile(`(?m)^GO_VERSION = (\S+)$`).FindSubmatch(goMk)
	needed := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	if buildrootGo == nil || needed == nil {
		t.Fatalf("no GO_VERSION in package/go/go.mk (%v) or no go line in go.mod (%v)", buildrootGo != nil, needed != nil)
	}
	if version.Compare("go"+string(needed[1]), "go"+string(buildrootGo[1])) > 0 {
		t.Errorf("go.mod asks for go %s; Buildroot's Go is %s", needed[1], buildrootGo[1])
	}
}

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
