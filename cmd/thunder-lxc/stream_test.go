package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// gzipRootfs makes a busybox rootfs tarball (gzip, by GNU tar).
func gzipRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, dir)
	tarball := filepath.Join(t.TempDir(), "rootfs.tar.gz")
	treetest.Run(t, "tar", "--numeric-owner", "-C", dir, "-czf", tarball, ".")
	return tarball
}

// provisionFromPipe runs the binary with the bytes on its standard input,
// which exec hands over as a pipe.
func provisionFromPipe(t *testing.T, bin string, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"provision"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A rootfs piped to --rootfs - gives the target the tarball file gives:
// every path, owner, mode, content and file time (SOURCE_DATE_EPOCH),
// all but the state file, which records each run's source (a stream by
// the hash of its bytes). A rerun with the same bytes changes nothing.
func TestRootfsFromPipeEqualsFile(t *testing.T) {
	treetest.NeedRoot(t)
	bin := buildBinary(t)
	tarball := gzipRootfs(t)
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	fromFile, fromPipe := treetest.SampleTarget(t), treetest.SampleTarget(t)
	if _, stderr, code := run(t, "provision", "OCDM", "--target", fromFile, "--rootfs", tarball); code != 0 {
		t.Fatalf("provision --rootfs FILE: exit %d: %s", code, stderr)
	}
	if out, err := provisionFromPipe(t, bin, data, "OCDM", "--target", fromPipe, "--rootfs", "-"); err != nil {
		t.Fatalf("provision --rootfs -: %v\n%s", err, out)
	}
	state := func(rel string) bool { return rel == ocdmContainer+"/.thunder-lxc.json" }
	sameLines(t, "the targets provisioned from the file and from the pipe",
		treeLines(t, fromFile, state, nil), treeLines(t, fromPipe, state, nil))

	before := treeLines(t, fromPipe, nil, nil)
	out, err := provisionFromPipe(t, bin, data, "OCDM", "--target", fromPipe, "--rootfs", "-")
	if err != nil || !strings.Contains(out, "Nothing to change") {
		t.Errorf("rerun from the same bytes: %v\n%s", err, out)
	}
	sameLines(t, "the target before and after the rerun", before, treeLines(t, fromPipe, nil, nil))
}

// A stream that ends early is refused as the same bytes in a file are,
// and the target stays as it was.
func TestTruncatedStreamRefusedLikeTruncatedFile(t *testing.T) {
	treetest.NeedRoot(t)
	bin := buildBinary(t)
	data, err := os.ReadFile(gzipRootfs(t))
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)/2]
	truncated := filepath.Join(t.TempDir(), "cut.tar.gz")
	if err := os.WriteFile(truncated, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	target := treetest.SampleTarget(t)
	before := treeLines(t, target, nil, nil)
	_, fileErr, code := run(t, "provision", "OCDM", "--target", target, "--rootfs", truncated)
	if code != 1 {
		t.Fatalf("truncated file: exit %d, want 1: %s", code, fileErr)
	}
	streamErr, err := provisionFromPipe(t, bin, cut, "OCDM", "--target", target, "--rootfs", "-")
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("truncated stream: %v, want exit 1: %s", err, streamErr)
	}
	// The same refusal: only the names of the input differ.
	reason := func(msg string) string { return msg[strings.LastIndex(msg, "\": ")+3:] }
	if reason(fileErr) != reason(streamErr) || !strings.Contains(streamErr, "truncated") || !strings.Contains(streamErr, "nothing was changed") {
		t.Errorf("refusals differ:\nfile:   %s\nstream: %s", fileErr, streamErr)
	}
	sameLines(t, "the target before and after the refused runs", before, treeLines(t, target, nil, nil))
}
