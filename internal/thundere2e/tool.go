package thundere2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/provision/verify"
)

var (
	toolOnce sync.Once
	toolDir  string
	toolErr  error
)

// tool builds bin/thunder-lxc once for the test binary, into a folder
// RemoveTool removes.
func tool(t testing.TB) string {
	t.Helper()
	toolOnce.Do(func() {
		if toolDir, toolErr = os.MkdirTemp("", "thundere2e-tool-"); toolErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(toolDir, "thunder-lxc"), "github.com/thunder-lxc/thunder-lxc/cmd/thunder-lxc").CombinedOutput()
		if err != nil {
			toolErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if toolErr != nil {
		t.Fatalf("build thunder-lxc: %v", toolErr)
	}
	return filepath.Join(toolDir, "thunder-lxc")
}

// RemoveTool removes what tool built; TestMain calls it last.
func RemoveTool() {
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
}

// Tool runs thunder-lxc with args and returns its standard output and
// error and its exit status.
func Tool(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(tool(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("thunder-lxc %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// Provision provisions the test plugin into the device with the extra
// arguments, failing the test when the tool fails, and returns what it
// printed (warnings included).
func (d *Device) Provision(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := Tool(t, append([]string{"provision", Callsign, "--target", d.Dir, "--progress", "never"}, args...)...)
	if code != 0 {
		t.Fatalf("thunder-lxc provision %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out + errOut
}

// Verify runs thunder-lxc verify --json on the device.
func (d *Device) Verify(t testing.TB) verify.Report {
	t.Helper()
	out, errOut, _ := Tool(t, "verify", "--json", "--target", d.Dir, Callsign)
	var r verify.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json printed no report (%v): %s%s", err, out, errOut)
	}
	return r
}
