package quickstart

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// docs/troubleshooting.md has a section for every check verify can
// report, so a new check cannot land undocumented.
func TestTroubleshootingNamesEveryVerifyCheck(t *testing.T) {
	repo := treetest.RepoRoot(t)
	source, err := os.ReadFile(filepath.Join(repo, "provision/verify/finding.go"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(repo, "docs/troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	checks := regexp.MustCompile(`(?m)^\s+Check\w+\s+= "([a-z-]+)"`).FindAllSubmatch(source, -1)
	if len(checks) < 10 {
		t.Fatalf("found %d check names in finding.go: has its form changed?", len(checks))
	}
	for _, c := range checks {
		if !strings.Contains(string(doc), "\n## `"+string(c[1])+"`\n") {
			t.Errorf("docs/troubleshooting.md has no section ## `%s`", c[1])
		}
	}
}

// The job script of docs/ci.md, run as an ordinary user as a CI runner
// would: on an image whose container would start it writes the new image
// and both reports and succeeds; on one without a hosting process it fails
// and still leaves verify's report, which says why.
func TestCIJobOfTheDocsRuns(t *testing.T) {
	treetest.NeedRoot(t) // to become the ordinary user, and make the image's owners
	treetest.NeedTool(t, "fakeroot", "fakeroot")
	treetest.NeedTool(t, "setpriv", "util-linux")
	repo := treetest.RepoRoot(t)
	doc, err := os.ReadFile(filepath.Join(repo, "docs/ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## The job script.*?```sh\n(.*?)```").FindSubmatch(doc)
	if block == nil {
		t.Fatal("docs/ci.md has no sh block under ## The job script")
	}
	work := sessiontest.WorkDir(t)
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "thunder-lxc"), "./cmd/thunder-lxc")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	script := filepath.Join(work, "prepare-image.sh")
	if err := os.WriteFile(script, block[1], 0o755); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name          string
		hostProcess   bool
		ok            bool
		verifyReports string
	}{
		{"passes", true, true, `"ok": true`},
		{"fails", false, false, `"check": "host-process"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tree := filepath.Join(t.TempDir(), "image")
			treetest.Run(t, "cp", "-a", filepath.Join(repo, "testdata/sample-target"), tree)
			treetest.BusyboxRootfs(t, tree)
			if c.hostProcess {
				treetest.Run(t, "cp", "-a", filepath.Join(repo, "testdata/sample-hosting")+"/.", tree)
			}
			job := filepath.Join(work, c.name)
			os.Mkdir(job, 0o755)
			treetest.Run(t, "tar", "--numeric-owner", "-C", tree, "-cf", filepath.Join(job, "rootfs.tar"), ".")
			treetest.Run(t, "chown", "-R", "65534:65534", job)

			run := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", script, "rootfs.tar", "OCDM")
			run.Dir = job
			run.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "HOME="+job)
			out, err := run.CombinedOutput()
			if (err == nil) != c.ok {
				t.Fatalf("the job: %v, want success %v\n%s", err, c.ok, out)
			}
			if strings.Contains(string(out), "\r") {
				t.Errorf("a carriage return in the job's log:\n%q", out)
			}
			image, err := os.ReadFile(filepath.Join(job, "reports/image.json"))
			if err != nil || !strings.Contains(string(image), `"command": "image"`) {
				t.Errorf("reports/image.json: %v\n%s", err, image)
			}
			verify, err := os.ReadFile(filepath.Join(job, "reports/verify.json"))
			if err != nil || !strings.Contains(string(verify), c.verifyReports) {
				t.Errorf("reports/verify.json lacks %s: %v\n%s", c.verifyReports, err, verify)
			}
		})
	}
}
