package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// mainArgs, when set, makes the test binary run main itself with these
// arguments (JSON): the command as a user runs it, signal handling and
// all, in a process of its own that a test can signal.
const mainArgs = "THUNDER_LXC_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(mainArgs); args != "" {
		os.Args = []string{"thunder-lxc"}
		if err := json.Unmarshal([]byte(args), &os.Args); err != nil {
			os.Exit(2)
		}
		os.Args = append([]string{"thunder-lxc"}, os.Args...)
		main()
	}
	os.Exit(m.Run())
}

// startMain starts the command in a process of its own.
func startMain(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgs+"="+string(data))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// temporaries lists what runs make out of sight in the target.
func temporaries(t *testing.T, target string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err == nil && inroot.IsTemp(d.Name()) {
			found = append(found, strings.TrimPrefix(p, target))
		}
		return err
	})
	return found
}

// waitForStaging waits until a run has begun writing its container.
func waitForStaging(t *testing.T, target string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(temporaries(t, target)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the run never began unpacking")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bigTarball is a busybox rootfs with tens of thousands of small files
// more: unpacking it takes seconds, long enough to stop a run in the
// middle. Written with archive/tar from GNU tar's archive of the rootfs.
func bigTarball(t *testing.T) string {
	t.Helper()
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	treetest.BusyboxRootfs(t, rootfs)
	small := filepath.Join(t.TempDir(), "rootfs.tar")
	treetest.Run(t, "tar", "--numeric-owner", "-C", rootfs, "-cf", small, ".")
	in, err := os.Open(small)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	big := filepath.Join(t.TempDir(), "big.tar")
	out, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40000 {
		body := fmt.Sprintf("file %d\n", i)
		hdr := &tar.Header{Name: fmt.Sprintf("./usr/share/many/%02d/f%d", i%100, i), Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(1e9, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return big
}

// Issue 11, item 4: SIGTERM and SIGINT end a run promptly, in the middle
// of unpacking, and it cleans up: the target is as it was.
func TestSignalEndsRunAndCleansUp(t *testing.T) {
	treetest.NeedRoot(t)
	tarball := bigTarball(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tally.Add(tally.FaultInjection, 1)
			target := treetest.SampleTarget(t)
			before := treetest.Mtree(t, target)
			cmd, stderr := startMain(t, "provision", "OCDM", "--target", target, "--rootfs", tarball)
			waitForStaging(t, target)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Fatalf("exit: %v, want status 1: %s", err, stderr)
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s did not end the run: %s", sig, stderr)
			}
			if !strings.Contains(stderr.String(), "nothing was changed") {
				t.Errorf("the error does not say the target is as it was: %s", stderr)
			}
			if after := treetest.Mtree(t, target); after != before {
				t.Error("the cancelled run changed the target")
			}
			if left := temporaries(t, target); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// Issue 11, item 2: a run killed (SIGKILL) while unpacking left its
// staging folder for good: reruns succeeded, verify said nothing, and it
// ended up in the image. verify now names it, and the next run removes it
// and says so.
func TestKilledRunIsCleanedUpByTheNext(t *testing.T) {
	treetest.NeedRoot(t)
	tarball := bigTarball(t)
	target := treetest.SampleTarget(t)
	cmd, _ := startMain(t, "provision", "OCDM", "--target", target, "--rootfs", tarball)
	waitForStaging(t, target)
	cmd.Process.Kill()
	cmd.Wait()
	tally.Add(tally.FaultInjection, 1)
	left := temporaries(t, target)
	if len(left) == 0 {
		t.Fatal("the killed run left nothing")
	}
	out, _, code := run(t, "verify", "--target", target)
	if code != 1 || !strings.Contains(out, left[0]) || !strings.Contains(out, "leftover") {
		t.Errorf("verify (exit %d) does not name %s:\n%s", code, left[0], out)
	}
	report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", tarball)
	if !strings.Contains(strings.Join(report.Warnings, "\n"), left[0]) {
		t.Errorf("the rerun does not say it removed %s: %q", left[0], report.Warnings)
	}
	if now := temporaries(t, target); len(now) > 0 {
		t.Errorf("left after the rerun: %v", now)
	}
	if out, _, code := run(t, "verify", "--target", target); strings.Contains(out, "leftover") {
		t.Errorf("verify (exit %d) still finds leftovers:\n%s", code, out)
	}
}
