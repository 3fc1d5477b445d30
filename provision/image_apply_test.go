package provision

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// pluginsImage is imageInput's tarball with the plugins of
// testdata/plugins (WebKitBrowser, Cobalt) added, gzipped.
func pluginsImage(t *testing.T) string {
	t.Helper()
	dir := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, dir)
	treetest.Run(t, "sh", "-c", `cp "$1"/testdata/plugins/*.json "$2"/etc/Thunder/plugins/`, "sh", treetest.RepoRoot(t), dir)
	out := filepath.Join(t.TempDir(), "rootfs.tar.gz")
	treetest.Run(t, "tar", "--numeric-owner", "-C", dir, "-czf", out, ".")
	return out
}

func removeImage(t *testing.T, req RemoveRequest) (*RemoveReport, error) {
	t.Helper()
	rp, err := BuildRemovePlan(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return ApplyRemove(context.Background(), rp)
}

func batchImage(t *testing.T, req BatchRequest) (*BatchReport, error) {
	t.Helper()
	bp, err := BuildBatchPlan(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return ApplyBatch(context.Background(), bp)
}

// A remove on an image is planned on the image's index as on a folder: a
// dry run writes nothing and names what goes; a container the tool did
// not make is refused and no output is written; a remove with nothing to
// do on the image in place leaves the file as it is, and one that removes
// replaces it.
func TestRemoveImagePlansAndRefuses(t *testing.T) {
	in := imageInput(t, "rootfs.tar")
	dir := t.TempDir()
	provisioned := filepath.Join(dir, "provisioned.tar")
	imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}, Shares: []string{"/var/log/TestLogging:TestLogging"}}, In: in, Out: provisioned})

	out := filepath.Join(dir, "out", "removed.tar")
	os.Mkdir(filepath.Dir(out), 0o755)
	report, err := removeImage(t, RemoveRequest{Callsigns: []string{"OCDM"}, DryRun: true, Image: &ImageFiles{In: provisioned, Out: out}})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Gone) != 2 || report.Gone[0] != "/usr/share/Thunder/OCDM/Container" || report.Gone[1] != "/var" || report.Output != out {
		t.Errorf("dry run's report: gone %v, output %q", report.Gone, report.Output)
	}
	if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
		t.Errorf("the dry run wrote %v", left)
	}

	handMade := filepath.Join(dir, "hand-made.tar")
	target := treetest.SampleTarget(t)
	os.MkdirAll(filepath.Join(target, "usr/share/Thunder/OCDM/Container/rootfs"), 0o755)
	treetest.Run(t, "tar", "--numeric-owner", "-C", target, "-cf", handMade, ".")
	_, err = removeImage(t, RemoveRequest{Callsigns: []string{"OCDM"}, Image: &ImageFiles{In: handMade, Out: out}})
	if err == nil || !strings.Contains(err.Error(), "thunder-lxc did not make it") {
		t.Errorf("remove of a hand-made container: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
		t.Errorf("the refused remove wrote %v", left)
	}

	before, _ := os.Stat(in)
	report, err = removeImage(t, RemoveRequest{Callsigns: []string{"OCDM"}, Image: &ImageFiles{In: in, Out: in}})
	if err != nil || report.Changed || report.Containers[0].Action != ActionAbsent {
		t.Fatalf("remove of an absent container in place: %v %+v", err, report)
	}
	if after, _ := os.Stat(in); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a remove with nothing to do rewrote its image in place")
	}
	if _, err := removeImage(t, RemoveRequest{Callsigns: []string{"OCDM"}, Image: &ImageFiles{In: provisioned, Out: provisioned}}); err != nil {
		t.Fatal(err)
	}
	headers, _ := entries(t, provisioned)
	if headers["usr/share/Thunder/OCDM/Container"] != nil || headers["var"] != nil || headers["etc/Thunder/plugins/OCDM.json"] == nil {
		t.Error("the remove in place did not take the container and the share folder out")
	}
}

// A batch on an image reads it from standard input and writes to standard
// output the bytes it writes file to file; standard input cannot hold the
// image and a rootfs both.
func TestBatchImageStreams(t *testing.T) {
	in := pluginsImage(t)
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	requests := []Request{
		{Callsigns: []string{"OCDM"}, KeepUIDs: []int{1000}, KeepGIDs: []int{1000}, Shares: []string{"/var/log/TestLogging:TestLogging"}},
		{Callsigns: []string{"WebKitBrowser"}},
	}
	file := filepath.Join(t.TempDir(), "out.tar")
	report, err := batchImage(t, BatchRequest{Requests: requests, Image: &ImageFiles{In: in, Out: file}})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Changed || len(report.Runs) != 2 || report.Output != file || report.Target != in {
		t.Errorf("report: changed %v, %d runs, target %q, output %q", report.Changed, len(report.Runs), report.Target, report.Output)
	}
	var stdout bytes.Buffer
	if _, err := batchImage(t, BatchRequest{Requests: requests, Stdin: bytes.NewReader(data),
		Image: &ImageFiles{In: "-", Out: "-", Stdout: &stdout, Compress: archive.FormatTar}}); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != read(t, file) {
		t.Error("standard input to standard output differs from file to file")
	}

	requests[1].Source = "-"
	_, err = batchImage(t, BatchRequest{Requests: requests, Stdin: bytes.NewReader(data), Image: &ImageFiles{In: "-", Out: file}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "rootfs" {
		t.Errorf("image and rootfs both on standard input: %v", err)
	}
}
