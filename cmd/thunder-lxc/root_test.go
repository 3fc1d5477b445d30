package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// run executes the command line args in-process, as main does, and
// returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "thunder-lxc ") {
		t.Fatalf("version: code %d, output %q", code, out)
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	if _, _, code := run(t, "version", "extra"); code != 2 {
		t.Fatalf("extra argument: exit code %d, want 2", code)
	}
	if _, _, code := run(t, "version", "--no-such-flag"); code != 2 {
		t.Fatalf("unknown flag: exit code %d, want 2", code)
	}
	if _, _, code := run(t, "provision", "OCDM"); code != 2 {
		t.Fatalf("provision without --target: exit code %d, want 2", code)
	}
	if _, _, code := run(t, "provision", "OCDM", "--target", t.TempDir(), "--seccomp", "maybe"); code != 2 {
		t.Fatalf("bad --seccomp value: exit code %d, want 2", code)
	}
}

func TestCompletion(t *testing.T) {
	out, _, code := run(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "thunder-lxc") {
		t.Fatalf("completion bash: code %d", code)
	}
}

// A mistyped command is named, with the command meant when one is close.
func TestMistypedCommandSuggestsTheRightOne(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"provisoin"}, `unknown command "provisoin": did you mean "provision"?`},
		{[]string{"verfy", "--target", "x"}, `unknown command "verfy": did you mean "verify"?`},
		{[]string{"idmpa"}, `unknown command "idmpa": did you mean "idmap"?`},
		{[]string{"check", "kernal"}, `unknown command "kernal": did you mean "kernel"?`},
		{[]string{"check", "builroot"}, `unknown command "builroot": did you mean "buildroot"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate": see thunder-lxc --help`},
	} {
		_, errOut, code := run(t, c.args...)
		if code != 2 || errOut != "thunder-lxc: "+c.want+"\n" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// provision without a callsign says what to give, as a usage error.
func TestProvisionWithoutCallsign(t *testing.T) {
	_, errOut, code := run(t, "provision", "--target", t.TempDir())
	want := "name the plugin callsign(s) to containerize, e.g. thunder-lxc provision OCDM --target DIR"
	if code != 2 || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 2 and one line saying %q", code, errOut, want)
	}
}

// No flag's help states its default twice, as "(default with an ID map)
// (default true)" did: a usage that speaks of the default itself must not
// get pflag's "(default ...)" appended too.
func TestHelpStatesEachDefaultOnce(t *testing.T) {
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, line := range strings.Split(cmd.LocalFlags().FlagUsages(), "\n") {
			if strings.Count(line, "default") > 1 {
				t.Errorf("%s: %s", cmd.CommandPath(), strings.TrimSpace(line))
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}
