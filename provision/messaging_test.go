package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

const thunderConfig = "etc/Thunder/config.json"

func removeOK(t *testing.T, req RemoveRequest) *RemoveReport {
	t.Helper()
	rp, err := BuildRemovePlan(context.Background(), req)
	if err != nil {
		t.Fatalf("remove plan: %v", err)
	}
	defer rp.Close()
	report, err := ApplyRemove(context.Background(), rp)
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	return report
}

func fileReport(r *Report, devicePath string) (FileReport, bool) {
	for _, f := range r.Files {
		if f.Path == devicePath {
			return f, true
		}
	}
	return FileReport{}, false
}

// With an ID map the run opens Thunder's messaging folder, says so, and
// records it; a second container relies on it; remove takes it back with
// the last of them, byte for byte.
func TestMessagingFolderOpenedForIDMappedContainers(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	writeFile(t, filepath.Join(target, "etc/Thunder/plugins/Probe.json"), []byte(`{"callsign":"Probe","classname":"Probe","locator":"libThunderProbe.so","configuration":{"root":{"mode":"Local"}}}`))
	original := read(t, filepath.Join(target, thunderConfig))
	source := rootfsTarball(t, "")

	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: source})
	f, ok := fileReport(report, "/"+thunderConfig)
	if !ok || !f.Changed || !strings.Contains(f.Why, `→ "MessageDispatcher|0777"`) || !strings.Contains(f.Why, "host uid 100000") {
		t.Fatalf("report of %s: %+v (found %v)", thunderConfig, f, ok)
	}
	opened := read(t, filepath.Join(target, thunderConfig))
	if want := strings.TrimSuffix(original, "\n}\n") + ",\n  \"messaging\": {\"path\": \"MessageDispatcher|0777\"}\n}\n"; opened != want {
		t.Fatalf("%s:\n%s\nwant:\n%s", thunderConfig, opened, want)
	}

	provisionOK(t, Request{Callsigns: []string{"Probe"}, Target: target, Source: source})
	removed := removeOK(t, RemoveRequest{Callsigns: []string{"OCDM"}, Target: target})
	if got := read(t, filepath.Join(target, thunderConfig)); got != opened {
		t.Errorf("removing one of two ID-mapped containers changed %s:\n%s", thunderConfig, got)
	}
	if !keeps(removed, "/"+thunderConfig) {
		t.Errorf("remove does not say it keeps %s: %+v", thunderConfig, removed.Kept)
	}
	removeOK(t, RemoveRequest{Callsigns: []string{"Probe"}, Target: target})
	if got := read(t, filepath.Join(target, thunderConfig)); got != original {
		t.Errorf("after the last remove %s is:\n%s\nwant it as before:\n%s", thunderConfig, got, original)
	}
}

func keeps(r *RemoveReport, devicePath string) bool {
	for _, k := range r.Kept {
		if k.Path == devicePath {
			return true
		}
	}
	return false
}

// Without an ID map the hosting process is host root: the config stays as
// it is. A mode the image's maker chose is left, with a warning.
func TestMessagingFolderLeftWhenNotNeeded(t *testing.T) {
	treetest.NeedRoot(t)
	source := rootfsTarball(t, "")

	target := treetest.SampleTarget(t)
	original := read(t, filepath.Join(target, thunderConfig))
	report := provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: source, NoIDMap: true})
	if _, ok := fileReport(report, "/"+thunderConfig); ok || read(t, filepath.Join(target, thunderConfig)) != original {
		t.Errorf("--no-idmap edited %s", thunderConfig)
	}

	target = treetest.SampleTarget(t)
	chosen := `{"volatilepath": "/tmp", "messaging": {"path": "Messages|0750"}}`
	writeFile(t, filepath.Join(target, thunderConfig), []byte(chosen))
	report = provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: source})
	if got := read(t, filepath.Join(target, thunderConfig)); got != chosen {
		t.Errorf("a chosen mode was changed: %s", got)
	}
	if !strings.Contains(strings.Join(report.Warnings, "\n"), "gives the messaging folder mode 0750") {
		t.Errorf("no warning about the chosen mode: %q", report.Warnings)
	}
}

// A volatile path other than /tmp is mounted at its own path, and so is
// the folder of the communicator socket, which stays in /tmp.
func TestVolatilePathAndCommunicatorMountedAtTheirPaths(t *testing.T) {
	treetest.NeedRoot(t)
	target := treetest.SampleTarget(t)
	writeFile(t, filepath.Join(target, thunderConfig), []byte(`{"volatilepath": "/var/volatile", "datapath": "/usr/share/Thunder"}`))
	provisionOK(t, Request{Callsigns: []string{"OCDM"}, Target: target, Source: rootfsTarball(t, "")})
	config := read(t, filepath.Join(target, "usr/share/Thunder/OCDM/Container/config"))
	want := "lxc.mount.entry = /tmp tmp none bind,create=dir 0 0\nlxc.mount.entry = /var/volatile var/volatile none bind,create=dir 0 0\n"
	if !strings.Contains(config, want) || strings.Contains(config, "/var/volatile tmp") {
		t.Errorf("config:\n%s\nwant the mount entries\n%s", config, want)
	}
	if _, err := os.Stat(filepath.Join(target, "var/volatile")); err == nil {
		t.Error("the volatile path was made in the target: it is Thunder's at run time")
	}
}
