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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
