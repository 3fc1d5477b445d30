// Package quickstart holds the test that follows the README's quick start
// as a new user would, so that it cannot rot.
package quickstart

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// The README's first command in a fresh clone of the committed HEAD:
// make demo builds the tool and provisions OCDM into the sample target,
// and shows it: the container's config written, the plugin in Container
// mode, a second run changing nothing, verify passing.
func TestQuickStartDemoInAFreshClone(t *testing.T) {
	treetest.NeedRoot(t) // without root, make demo asks sudo or only shows the plan
	git := treetest.NeedTool(t, "git", "git")
	make := treetest.NeedTool(t, "make", "make")
	repo := treetest.RepoRoot(t)
	if out, err := exec.Command(git, "-C", repo, "rev-parse", "--verify", "HEAD").CombinedOutput(); err != nil {
		t.Skipf("needs the repository's git history to clone: %s is no git checkout (%v: %s)", repo, err, out)
	}
	clone := filepath.Join(t.TempDir(), "thunder-lxc")
	treetest.Run(t, git, "clone", "--quiet", repo, clone)

	demo := exec.Command(make, "demo")
	demo.Dir = clone
	demo.Env = userEnv()
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo in a fresh clone: %v\n%s", err, out)
	}
	const configPath = "demo/target/usr/share/Thunder/OCDM/Container/config"
	for _, want := range []string{
		// The config, shown by the demo script.
		`== ` + configPath + `\n# LXC config of the Thunder plugin OCDM.*\n(.+\n)*lxc\.rootfs\.path = dir:/usr/share/Thunder/OCDM/Container/rootfs\n`,
		// The plugin's mode line, found by grep -n.
		`== plugin mode\n\d+: +"mode": "Container"`,
		// The second run.
		`Nothing to change`,
		// verify passes: the sample rootfs has a stand-in ThunderPlugin.
		`\$ thunder-lxc verify --target demo/target\nOCDM: /usr/share/Thunder/OCDM/Container \(would start\)\n`,
		// image, as an ordinary user would run it: the container's rootfs
		// and config are entries of the output, owners shifted.
		`100000/100000 +\d+ .* usr/share/Thunder/OCDM/Container/rootfs/bin/busybox\n`,
		`0/0 +\d+ .* usr/share/Thunder/OCDM/Container/config\n`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("make demo's output lacks %s:\n%s", want, out)
		}
	}

	// What it shows is what it left in the clone.
	config, err := os.ReadFile(filepath.Join(clone, configPath))
	if err != nil || !strings.Contains(string(config), "lxc.rootfs.path = dir:/usr/share/Thunder/OCDM/Container/rootfs\n") {
		t.Errorf("%s: %v\n%s", configPath, err, config)
	}
	data, err := os.ReadFile(filepath.Join(clone, "demo/target/etc/Thunder/plugins/OCDM.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plugin struct {
		Configuration struct {
			Root struct{ Mode string }
		}
	}
	if err := json.Unmarshal(data, &plugin); err != nil || plugin.Configuration.Root.Mode != "Container" {
		t.Errorf("OCDM.json: mode %q (%v), want Container:\n%s", plugin.Configuration.Root.Mode, err, data)
	}
}

// userEnv is this process's environment without what the make running the
// tests passes its children, so the clone's make starts as a user's would.
func userEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
			continue
		}
		env = append(env, kv)
	}
	return env
}
