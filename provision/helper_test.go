package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as a provision run killed at a chosen point:
// run with helperRequest set in its environment it provisions and, when
// helperKillAt names a fault point ("edit-written" or its n-th passing,
// "edit-written#2"), sends itself SIGKILL there. The variables are read
// here only: the tool itself has no such switch.
const (
	helperRequest = "THUNDER_LXC_TEST_HELPER_REQUEST"
	helperKillAt  = "THUNDER_LXC_TEST_KILL_AT"
)

// notReached is the helper's exit status when the run ended without
// passing the kill point.
const notReached = 3

func TestMain(m *testing.M) {
	if os.Getenv(helperRequest) != "" {
		os.Exit(runHelper())
	}
	os.Exit(m.Run())
}

// helperArgs is what a helper run is asked to do.
type helperArgs struct {
	Callsigns []string
	Target    string
	Source    string
	Shares    []string
	IDMapBase int
	Force     bool
}

func runHelper() int {
	var a helperArgs
	if err := json.Unmarshal([]byte(os.Getenv(helperRequest)), &a); err != nil {
		fmt.Fprintln(os.Stderr, "helper request:", err)
		return 2
	}
	killAt, nth := os.Getenv(helperKillAt), 1
	if point, n, ok := strings.Cut(killAt, "#"); ok {
		killAt = point
		nth, _ = strconv.Atoi(n)
	}
	faultHook = func(point string) {
		if point == killAt {
			if nth--; nth == 0 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	}
	req := Request{Callsigns: a.Callsigns, Target: a.Target, Source: a.Source, Shares: a.Shares, IDMapBase: a.IDMapBase, Force: a.Force}
	plan, err := BuildPlan(context.Background(), req)
	if err == nil {
		_, err = Apply(context.Background(), plan)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if killAt != "" {
		return notReached
	}
	return 0
}

// helperCommand is a helper run of a, killed at killAt ("" for none).
func helperCommand(t *testing.T, a helperArgs, killAt string) *exec.Cmd {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperRequest+"="+string(data), helperKillAt+"="+killAt)
	return cmd
}

// killedAt runs a helper that must die of SIGKILL at the point.
func killedAt(t *testing.T, a helperArgs, point string) {
	t.Helper()
	out, err := helperCommand(t, a, point).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the run killed at %s ended without being killed (%v): %s", point, err, out)
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		if exit.ExitCode() == notReached {
			t.Fatalf("the run never passed %s", point)
		}
		t.Fatalf("the run to be killed at %s failed: %v: %s", point, err, out)
	}
}
