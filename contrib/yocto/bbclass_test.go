// Package yocto tests thunder-lxc.bbclass with a real BitBake: the bitbake
// and OE-core (meta) of the poky tree, or poky tarball, that
// THUNDER_LXC_POKY names (.ci/run sets it); without it the tests skip.
//
// BitBake parses an image recipe that inherits the class, as a build user
// would write it; the test checks where the task sits among the image
// tasks, writes the task's shell script the way BitBake writes its run
// files, and runs that script under pseudo as an ordinary user, on an
// image root filesystem that pseudo unpacked as do_rootfs would.
package yocto

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// pokyEnv names a poky tree (a folder with bitbake/ and meta/) or a
// gzip tarball of one, with its files in a top folder poky/.
const pokyEnv = "THUNDER_LXC_POKY"

// guideRecipe is the Thunder LXC guide's scenario as an image recipe.
const guideRecipe = `SUMMARY = "The Thunder LXC guide's image: OCDM in an LXC container"
LICENSE = "MIT"
inherit core-image thunder-lxc
THUNDER_LXC_CALLSIGNS = "OCDM"
THUNDER_LXC_OPTIONS = "--keep-id 1000 --share /var/log/TestLogging:TestLogging"
`

const layerConf = `BBPATH .= ":${LAYERDIR}"
BBFILES += "${LAYERDIR}/recipes/*.bb"
BBFILE_COLLECTIONS += "thunderlxc"
BBFILE_PATTERN_thunderlxc = "^${LAYERDIR}/"
LAYERSERIES_COMPAT_thunderlxc = "scarthgap"
`

// The containerized OCDM inside the image's root filesystem.
const ocdmContainer = "usr/share/Thunder/OCDM/Container"

func TestBBClassTaskProvisionsTheImageRootfsUnderPseudo(t *testing.T) {
	poky := pokyTree(t)
	pseudo := sessiontest.Kinds[slices.IndexFunc(sessiontest.Kinds, func(k sessiontest.Kind) bool { return k.Name == "pseudo" })]
	sessiontest.Need(t, pseudo)
	localedef := treetest.NeedTool(t, "localedef", "libc-bin")
	// The ordinary user cannot run root's own Python (a pyenv shim, say).
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("needs Debian's %s (package python3) for BitBake: %v", python, err)
	}
	work := sessiontest.WorkDir(t)

	// BitBake insists on the en_US.UTF-8 locale; glibc finds it in
	// LOCPATH, generated here rather than installed on the machine.
	locales := filepath.Join(work, "locale")
	os.Mkdir(locales, 0o755)
	if out, err := exec.Command(localedef, "-i", "en_US", "-f", "UTF-8", filepath.Join(locales, "en_US.UTF-8")).CombinedOutput(); err != nil {
		t.Skipf("needs the en_US locale source (Debian package locales) for BitBake: %v: %s", err, out)
	}
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "thunder-lxc"), "./cmd/thunder-lxc")
	build.Dir = treetest.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build thunder-lxc: %v\n%s", err, out)
	}

	// A layer holding the class and the recipe, and a build folder, as
	// docs/yocto.md tells a user to set them up.
	layer := filepath.Join(work, "meta-guide")
	write(t, filepath.Join(layer, "conf/layer.conf"), layerConf)
	class, err := os.ReadFile("thunder-lxc.bbclass")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(layer, "classes/thunder-lxc.bbclass"), string(class))
	recipe := filepath.Join(layer, "recipes/guide-image.bb")
	write(t, recipe, guideRecipe)
	buildDir := filepath.Join(work, "build")
	write(t, filepath.Join(buildDir, "conf/bblayers.conf"), `BBLAYERS = "`+filepath.Join(poky, "meta")+` `+layer+`"`+"\n")
	write(t, filepath.Join(buildDir, "conf/local.conf"), "MACHINE = \"qemuarm\"\nHOSTTOOLS += \"thunder-lxc\"\n")
	treetest.Run(t, "chown", "-R", "65534:65534", work)

	// BitBake parses the recipe and writes the task's run file.
	runFile := filepath.Join(work, "run.do_thunder_lxc")
	reportFile := filepath.Join(work, "parsed.json")
	parse := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		python, filepath.Join(treetest.RepoRoot(t), "contrib/yocto/testdata/task-script.py"),
		filepath.Join(poky, "bitbake/lib"), recipe, "do_thunder_lxc", runFile, reportFile,
		// The session sessiontest runs the task in.
		"PSEUDO_PREFIX=/usr", "PSEUDO_LOCALSTATEDIR="+filepath.Join(work, ".pseudo"))
	parse.Dir = buildDir
	parse.Env = []string{
		"HOME=" + work, "PATH=" + bin + ":/usr/bin:/bin",
		"LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8", "LOCPATH=" + locales,
		"BB_ENV_PASSTHROUGH_ADDITIONS=LOCPATH",
	}
	parse.Stdin = strings.NewReader("IMAGE_ROOTFS\n")
	if out, err := parse.CombinedOutput(); err != nil {
		t.Fatalf("BitBake parse of %s: %v\n%s", recipe, err, out)
	}
	out, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Fakeroot  string
		Deps      []string
		ImageDeps []string
		Vars      map[string]string
	}
	if err := json.Unmarshal(out, &parsed); err != nil {
		t.Fatalf("parse report: %v\n%s", err, out)
	}
	if parsed.Fakeroot != "1" || !slices.Contains(parsed.Deps, "do_rootfs") || !slices.Contains(parsed.ImageDeps, "do_thunder_lxc") {
		t.Errorf("do_thunder_lxc: fakeroot %q, after %q, do_image after %q: want a pseudo task between do_rootfs and do_image",
			parsed.Fakeroot, parsed.Deps, parsed.ImageDeps)
	}
	rootfs := parsed.Vars["IMAGE_ROOTFS"]
	if !strings.HasPrefix(rootfs, buildDir) {
		t.Fatalf("IMAGE_ROOTFS %q is not in the build folder %s", rootfs, buildDir)
	}

	// do_rootfs's part: the image's root filesystem, unpacked in pseudo
	// from a tarball made by root, so pseudo records its owners.
	tree := filepath.Join(t.TempDir(), "rootfs")
	treetest.Run(t, "cp", "-a", treetest.SampleTarget(t), tree)
	treetest.BusyboxRootfs(t, tree)
	treetest.Run(t, "cp", "-a", filepath.Join(treetest.RepoRoot(t), "testdata/sample-hosting")+"/.", tree)
	tarball := filepath.Join(work, "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "-C", tree, "-cf", tarball, ".")
	os.Chown(tarball, 65534, 65534)
	sessiontest.MustRun(t, pseudo, work, `mkdir -p "$ROOTFS" && unpack rootfs.tar "$ROOTFS" /dev/null`, "ROOTFS="+rootfs)

	// The task, as BitBake runs a fakeroot task.
	got := sessiontest.MustRun(t, pseudo, work, `/bin/sh run.do_thunder_lxc`)
	if !strings.Contains(got, "OCDM: /"+ocdmContainer+" (would start)") {
		t.Errorf("the task's verify does not pass:\n%s", got)
	}
	owners := sessiontest.MustRun(t, pseudo, work, `stat -c '%u:%g' "$ROOTFS/`+ocdmContainer+`/rootfs/root"`, "ROOTFS="+rootfs)
	if owners != "100000:100000\n" {
		t.Errorf("in pseudo the container's /root is owned by %q, want 100000:100000 (container root, shifted)", owners)
	}
	config, _ := os.ReadFile(filepath.Join(rootfs, ocdmContainer, "config"))
	for _, want := range []string{"lxc.idmap = u 1000 1000 1\n", "lxc.mount.entry = /var/log/TestLogging TestLogging none bind,rw 0 0\n"} {
		if !strings.Contains(string(config), want) {
			t.Errorf("the container's config lacks %q:\n%s", want, config)
		}
	}

	// Without a hosting process in the image, verify fails the task.
	sessiontest.MustRun(t, pseudo, work, `rm "$ROOTFS/usr/bin/ThunderPlugin"`, "ROOTFS="+rootfs)
	got, err = sessiontest.Run(t, pseudo, work, `/bin/sh run.do_thunder_lxc`)
	if err == nil || !strings.Contains(got, "ThunderPlugin is not on the container's PATH") {
		t.Errorf("rerun without ThunderPlugin: %v, want the task to fail on verify:\n%s", err, got)
	}
}

// pokyTree returns the poky tree THUNDER_LXC_POKY names, unpacking it
// first when it is a tarball; it skips the test when the variable is unset.
func pokyTree(t *testing.T) string {
	t.Helper()
	src := os.Getenv(pokyEnv)
	if src == "" {
		t.Skipf("needs poky's bitbake and meta: set %s to a poky tree or tarball (.ci/run sets it)", pokyEnv)
	}
	info, err := os.Stat(src)
	if err != nil {
		t.Skipf("needs poky's bitbake and meta: %s=%s: %v", pokyEnv, src, err)
	}
	if info.IsDir() {
		return src
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755) // the ordinary user reads it
	treetest.Run(t, "tar", "-xzf", src, "-C", dir)
	return filepath.Join(dir, "poky")
}

func write(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
