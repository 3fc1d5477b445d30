package provision

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// imageInput makes a device rootfs tarball with GNU tar: the sample
// Thunder target with a busybox rootfs in it.
func imageInput(t *testing.T, name string, tarFlags ...string) string {
	t.Helper()
	dir := treetest.SampleTarget(t)
	treetest.BusyboxRootfs(t, dir)
	out := filepath.Join(t.TempDir(), name)
	args := append([]string{"--numeric-owner", "-C", dir, "-cf", out}, tarFlags...)
	treetest.Run(t, "tar", append(args, ".")...)
	return out
}

func imageRun(t *testing.T, req ImageRequest) (*Report, error) {
	t.Helper()
	plan, err := BuildImagePlan(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return WriteImage(context.Background(), plan)
}

func imageOK(t *testing.T, req ImageRequest) *Report {
	t.Helper()
	report, err := imageRun(t, req)
	if err != nil {
		t.Fatalf("image: %v", err)
	}
	return report
}

// entries reads a tarball (any compression) into name → header, and the
// content of regular files.
func entries(t *testing.T, tarball string) (map[string]*tar.Header, map[string]string) {
	t.Helper()
	r, _, err := archive.OpenTarball(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	headers, contents := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return headers, contents
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if _, dup := headers[name]; dup {
			t.Errorf("%s: %s is written twice", tarball, name)
		}
		headers[name] = h
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			contents[name] = string(data)
		}
	}
}

func TestImageHoldsTheContainer(t *testing.T) {
	in := imageInput(t, "rootfs.tar")
	out := filepath.Join(t.TempDir(), "out.tar.gz")
	report := imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}, KeepUIDs: []int{1000}, KeepGIDs: []int{1000},
		Shares: []string{"/var/log/TestLogging:TestLogging"}}, In: in, Out: out})
	if report.Containers[0].Action != ActionCreate || report.Containers[0].Arch != "linux64" {
		t.Errorf("report: %+v", report.Containers[0])
	}
	headers, contents := entries(t, out)
	inHeaders, inContents := entries(t, in)
	const c = "usr/share/Thunder/OCDM/Container"
	for name, h := range inHeaders {
		out, ok := headers[name]
		if !ok {
			t.Errorf("%s of the input is missing", name)
			continue
		}
		switch name {
		case "etc/Thunder/plugins/OCDM.json", "usr/share/lxc/config/common.conf", "etc/Thunder/config.json":
			if contents[name] == inContents[name] {
				t.Errorf("%s was not edited", name)
			}
			continue
		}
		if out.Mode != h.Mode || out.Uid != h.Uid || out.Gid != h.Gid || !out.ModTime.Equal(h.ModTime) || contents[name] != inContents[name] {
			t.Errorf("%s changed: %+v, was %+v", name, out, h)
		}
	}
	if !strings.Contains(contents["etc/Thunder/plugins/OCDM.json"], `"mode": "Container"`) &&
		!strings.Contains(contents["etc/Thunder/plugins/OCDM.json"], `"mode":"Container"`) {
		t.Errorf("plugin config:\n%s", contents["etc/Thunder/plugins/OCDM.json"])
	}
	if !strings.Contains(contents["etc/Thunder/config.json"], `"messaging": {"path": "MessageDispatcher|0777"}`) {
		t.Errorf("Thunder config (the messaging folder opened for the ID-mapped container):\n%s", contents["etc/Thunder/config.json"])
	}
	if !strings.Contains(contents["usr/share/lxc/config/common.conf"], "# lxc.seccomp.profile") {
		t.Errorf("common.conf:\n%s", contents["usr/share/lxc/config/common.conf"])
	}
	// The container: rootfs shifted (kept uid 1000 as it is), config,
	// state, mount point, share folder; no container inside its rootfs.
	for name, want := range map[string][3]int{
		c + "/rootfs":                               {100000, 100000, 0o755},
		c + "/rootfs/bin/busybox":                   {100000, 100000, 0o755},
		c + "/rootfs/home/default":                  {1000, 1000, 0o755},
		c + "/rootfs/root":                          {100000, 100000, 0o700},
		c + "/rootfs/TestLogging":                   {0, 0, 0o755},
		c + "/config":                               {0, 0, 0o644},
		c + "/" + stateFile:                         {0, 0, 0o644},
		"var/log/TestLogging":                       {1000, 1000, 0o7770},
		c + "/rootfs/etc/Thunder/plugins/OCDM.json": {100000, 100000, 0o644},
	} {
		h, ok := headers[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		if h.Uid != want[0] || h.Gid != want[1] || h.Mode != int64(want[2]) {
			t.Errorf("%s: %d:%d %#o, want %d:%d %#o", name, h.Uid, h.Gid, h.Mode, want[0], want[1], want[2])
		}
	}
	if got := contents[c+"/config"]; got != report.Containers[0].Config || !strings.Contains(got, "lxc.rootfs.path = dir:/"+c+"/rootfs") {
		t.Errorf("config:\n%s", got)
	}
	// The container's copy has the plugin config as it was, not edited.
	if contents[c+"/rootfs/etc/Thunder/plugins/OCDM.json"] != inContents["etc/Thunder/plugins/OCDM.json"] {
		t.Error("the container's copy of the plugin config is not the input's")
	}
	for name := range headers {
		if strings.HasPrefix(name, c+"/rootfs/"+c) {
			t.Fatalf("the container nests: %s", name)
		}
	}
}

// The same input and flags give the same bytes, in every output format;
// SOURCE_DATE_EPOCH gives new and changed entries its time and clamps the
// copies' times.
func TestImageIsReproducible(t *testing.T) {
	in := imageInput(t, "rootfs.tar.zst", "--zstd")
	for _, name := range []string{"out.tar", "out.tar.gz", "out.tar.zst", "out.tar.xz", "out.tar.lz4"} {
		var outputs [][]byte
		for run := 0; run < 2; run++ {
			out := filepath.Join(t.TempDir(), name)
			imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: in, Out: out})
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			outputs = append(outputs, data)
		}
		if !bytes.Equal(outputs[0], outputs[1]) {
			t.Errorf("%s: two runs differ", name)
		}
		rc, format, err := archive.Decompress(bytes.NewReader(outputs[0]))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		rc.Close()
		if want, _ := archive.FormatOfName(name); format != want {
			t.Errorf("%s is stored as %s", name, format)
		}
	}

	epoch := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t.Setenv("SOURCE_DATE_EPOCH", "1704164645")
	out := filepath.Join(t.TempDir(), "out.tar")
	imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: in, Out: out})
	headers, _ := entries(t, out)
	inHeaders, _ := entries(t, in)
	for name, h := range headers {
		inH, original := inHeaders[name]
		switch {
		case name == "etc/Thunder/plugins/OCDM.json" || name == "etc/Thunder/config.json" || strings.HasSuffix(name, "Container/config"):
			if !h.ModTime.Equal(epoch) {
				t.Errorf("%s (new or changed): time %v, want SOURCE_DATE_EPOCH", name, h.ModTime)
			}
		case original && name != "usr/share/lxc/config/common.conf":
			if !h.ModTime.Equal(inH.ModTime) {
				t.Errorf("%s (unchanged): time %v, want %v", name, h.ModTime, inH.ModTime)
			}
		case h.ModTime.After(epoch):
			t.Errorf("%s (copied): time %v after SOURCE_DATE_EPOCH", name, h.ModTime)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := imageRun(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: in, Out: out}); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("a bad SOURCE_DATE_EPOCH: %v", err)
	}
}

// A rerun on an image made by image changes nothing; other options are
// refused naming what changed; --force replaces without nesting.
func TestImageReruns(t *testing.T) {
	in := imageInput(t, "rootfs.tar")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.tar"), filepath.Join(dir, "second.tar")
	req := ImageRequest{Request: Request{Callsigns: []string{"OCDM"}, Shares: []string{"/var/log/TestLogging:TestLogging"}}, In: in, Out: first}
	imageOK(t, req)

	req.In, req.Out = first, second
	report := imageOK(t, req)
	if report.Changed || report.Containers[0].Action != ActionUnchanged {
		t.Errorf("rerun: changed %v, action %s", report.Changed, report.Containers[0].Action)
	}
	if a, b := read(t, first), read(t, second); a != b {
		t.Error("a rerun's output differs from its input")
	}
	// In place: nothing is rewritten.
	before, _ := os.Stat(first)
	req.Out = first
	imageOK(t, req)
	if after, _ := os.Stat(first); !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Error("an in-place rerun rewrote the image")
	}

	req.KeepUIDs, req.KeepGIDs = []int{1000}, []int{1000}
	_, err := imageRun(t, req)
	var exists *ContainerExistsError
	if !errors.As(err, &exists) || !strings.Contains(err.Error(), "the ID map was") {
		t.Fatalf("changed options: err = %v, want a refusal naming the ID map", err)
	}
	if after, _ := os.Stat(first); !os.SameFile(before, after) {
		t.Error("a refused run replaced the image")
	}
	req.Force = true
	report = imageOK(t, req)
	if report.Containers[0].Action != ActionReplace {
		t.Errorf("--force: action %s", report.Containers[0].Action)
	}
	headers, _ := entries(t, first) // also fails on a name written twice
	for name := range headers {
		if strings.Contains(name, "Container/rootfs/usr/share/Thunder/OCDM/Container") {
			t.Fatalf("the container nests: %s", name)
		}
	}
	if h := headers["usr/share/Thunder/OCDM/Container/rootfs/home/default"]; h == nil || h.Uid != 1000 {
		t.Errorf("the replaced container does not keep uid 1000: %+v", h)
	}
}

// Standard input in, standard output out; a --rootfs tarball or folder as
// the container's source.
func TestImageStreamsAndSources(t *testing.T) {
	in := imageInput(t, "rootfs.tar.gz", "--gzip")
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: "-", Out: "-",
		Stdin: bytes.NewReader(data), Stdout: &stdout, Compress: archive.FormatTar})
	file := filepath.Join(t.TempDir(), "file.tar")
	imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: in, Out: file})
	if stdout.String() != read(t, file) {
		t.Error("standard input to standard output differs from file to file")
	}

	rootfs := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, rootfs)
	rootfsTar := filepath.Join(t.TempDir(), "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "-C", rootfs, "-cf", rootfsTar, ".")
	for _, src := range []string{rootfsTar, rootfs} {
		out := filepath.Join(t.TempDir(), "out.tar")
		imageOK(t, ImageRequest{Request: Request{Callsigns: []string{"OCDM"}, Source: src, NoIDMap: true}, In: in, Out: out})
		headers, _ := entries(t, out)
		if headers["usr/share/Thunder/OCDM/Container/rootfs/bin/busybox"] == nil {
			t.Errorf("--rootfs %s: no busybox in the container", src)
		}
		if headers["usr/share/Thunder/OCDM/Container/rootfs/etc/Thunder/config.json"] != nil {
			t.Errorf("--rootfs %s: the container holds the image's files", src)
		}
	}
}

// Bad input gets one clear error and no output file.
func TestImageFailuresLeaveNoOutput(t *testing.T) {
	in := imageInput(t, "rootfs.tar")
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.tar")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notTar := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notTar, []byte("not a tarball\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "image.tar")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		req  ImageRequest
		want string
	}{
		"truncated input":  {ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: truncated, Out: out}, "truncated.tar"},
		"not a tarball":    {ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: notTar, Out: out}, "notes.txt"},
		"unknown callsign": {ImageRequest{Request: Request{Callsigns: []string{"Nope"}}, In: in, Out: out}, "Nope"},
		"bzip2 output":     {ImageRequest{Request: Request{Callsigns: []string{"OCDM"}}, In: in, Out: out + ".bz2"}, "compress"},
		"missing rootfs":   {ImageRequest{Request: Request{Callsigns: []string{"OCDM"}, Source: filepath.Join(dir, "none.tar")}, In: in, Out: out}, "none.tar"},
	} {
		_, err := imageRun(t, c.req)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line naming %q", name, err, c.want)
		}
		if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
			t.Errorf("%s: left %v in the output folder", name, left)
		}
	}
}
