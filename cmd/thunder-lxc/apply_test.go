package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision"
)

// threePlugins is an apply file in the guide's way: OCDM keeps ID 1000 and
// shares TestLogging, WebKitBrowser and Cobalt take the defaults.
const threePlugins = `target: target
rootfs: rootfs.fifo
containers:
  - callsign: OCDM
    keep-id: [1000]
    share: [/var/log/TestLogging:TestLogging]
  - callsign: WebKitBrowser
  - callsign: Cobalt
`

// stateWithoutSource is a container's state file with the fingerprints
// of its source left out: a stream is fingerprinted by its bytes, a file
// by its metadata; every other record must be the same.
func stateWithoutSource(t *testing.T, file string) map[string]any {
	t.Helper()
	var state map[string]any
	if err := json.Unmarshal([]byte(readText(t, file)), &state); err != nil {
		t.Fatal(err)
	}
	delete(state, "fingerprint")
	delete(state["shaping"].(map[string]any), "source")
	return state
}

// An apply file with three plugins gives the target that three provision
// runs give, compared as a whole tree (SOURCE_DATE_EPOCH fixes the times),
// and the state files record the same. Its source is a FIFO written once:
// the two groups of containers (OCDM's options differ) both get their
// rootfs from that one read; a second read would wait for a writer that
// never comes, and the run would be killed.
func TestApplyEqualsProvisionRunsFromOneFIFORead(t *testing.T) {
	treetest.NeedRoot(t)
	bin := buildBinary(t)
	tarball := gzipRootfs(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	provisioned := pluginTarget(t)
	applied := filepath.Join(dir, "target")
	treetest.Run(t, "cp", "-a", provisioned, applied)

	file := filepath.Join(dir, "containers.yaml")
	if err := os.WriteFile(file, []byte(threePlugins), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "rootfs.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = w.Write([]byte(readText(t, tarball)))
			w.Close()
		}
		written <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "apply", "-f", file, "--json").Output()
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if err := <-written; err != nil {
		t.Fatalf("write the FIFO: %v", err)
	}
	var report provision.BatchReport
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("apply --json: %v\n%s", err, out)
	}
	if len(report.Runs) != 2 || len(report.Runs[1].Containers) != 2 || report.Runs[0].Source.Kind != provision.SourceStream {
		t.Fatalf("apply's report: two runs (OCDM; WebKitBrowser and Cobalt) from the stream, got:\n%s", out)
	}

	mustRun(t, "provision", "OCDM", "--target", provisioned, "--rootfs", tarball, "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging")
	mustRun(t, "provision", "WebKitBrowser", "--target", provisioned, "--rootfs", tarball)
	mustRun(t, "provision", "Cobalt", "--target", provisioned, "--rootfs", tarball)

	isState := func(rel string) bool { return filepath.Base(rel) == ".thunder-lxc.json" }
	sameLines(t, "the targets of apply and of three provision runs",
		treeLines(t, provisioned, isState, nil), treeLines(t, applied, isState, nil))
	for _, class := range []string{"OCDM", "WebKitBrowser", "Cobalt"} {
		state := filepath.Join("usr/share/Thunder", class, "Container/.thunder-lxc.json")
		want, _ := json.Marshal(stateWithoutSource(t, filepath.Join(provisioned, state)))
		got, _ := json.Marshal(stateWithoutSource(t, filepath.Join(applied, state)))
		if string(want) != string(got) {
			t.Errorf("%s's state:\napply:     %s\nprovision: %s", class, got, want)
		}
	}
}

// A file with several mistakes names every one by its place, exits with
// status 2 and writes nothing.
func TestApplyFileMistakesAllNamedNothingWritten(t *testing.T) {
	target := pluginTarget(t)
	dir := filepath.Dir(target)
	file := filepath.Join(dir, "containers.yaml")
	content := `target: target
seccomp: maybe
containers:
  - callsign: OCDM
    keep-id: [1000, 70000]
    share: /var/log/TestLogging
  - callsign: WebKitBrowser
    frobnicate: yes
    idmap-size: lots
  - callsign: Cobalt
    layout: thunder
    env: ["BAD NAME"]
  - callsign: OCDM
remove: [WebKitBrowser]
`
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	before := treeLines(t, target, nil, nil)
	_, stderr, code := run(t, "apply", "-f", file)
	if code != 2 {
		t.Fatalf("apply of a file with mistakes: exit %d, want 2: %s", code, stderr)
	}
	for _, want := range []string{
		`seccomp "maybe": use comment, keep, auto`,
		`containers[0].keep-id[1] 70000: outside the container's IDs 0-65535`,
		`containers[0].share[0] "/var/log/TestLogging": use HOST:CONTAINER`,
		`containers[1] (line 8): unknown key "frobnicate"`,
		`containers[1].idmap-size (line 9): "lots" is not a whole number`,
		`containers[2].layout (line 11): give it at the top level`,
		`containers[2].env[0] "BAD NAME": use NAME or NAME=VALUE`,
		`containers[3].callsign "OCDM": given in containers[0] too`,
		`remove[0] "WebKitBrowser": also provisioned by containers[1]`,
		"9 problems:",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the report lacks %q:\n%s", want, stderr)
		}
	}
	sameLines(t, "the target before and after the refused apply", before, treeLines(t, target, nil, nil))
}

// An apply file's remove: list takes containers out in the same run that
// provisions others; a last file removing the rest gives the target
// back as it was, compared as a whole tree (without times).
func TestApplyRemoveListGivesTheOriginal(t *testing.T) {
	treetest.NeedRoot(t)
	target := pluginTarget(t)
	dir := filepath.Dir(target)
	if err := os.Link(gzipRootfs(t), filepath.Join(dir, "rootfs.tar.gz")); err != nil {
		t.Fatal(err)
	}
	original := untimedTree(t, target)
	steps := []string{
		"target: target\nrootfs: rootfs.tar.gz\ncontainers:\n  - callsign: OCDM\n    keep-id: 1000\n    share: /var/log/TestLogging:TestLogging\n  - callsign: WebKitBrowser\n",
		"target: target\nrootfs: rootfs.tar.gz\ncontainers:\n  - callsign: Cobalt\nremove: [OCDM]\n",
		"target: target\nremove: [WebKitBrowser, Cobalt]\n",
	}
	for i, step := range steps {
		file := filepath.Join(dir, "step.yaml")
		if err := os.WriteFile(file, []byte(step), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "apply", "-f", file)
		if i == 1 {
			if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/OCDM/Container")); !os.IsNotExist(err) {
				t.Errorf("OCDM's container after the second file: %v", err)
			}
			if _, err := os.Stat(filepath.Join(target, "usr/share/Thunder/Cobalt/Container/rootfs/bin/busybox")); err != nil {
				t.Errorf("Cobalt's container after the second file: %v", err)
			}
		}
	}
	sameLines(t, "the target before the apply files and after them", original, untimedTree(t, target))
}
