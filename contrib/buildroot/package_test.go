package buildroot

import (
	"bytes"
	"go/version"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

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
