package main

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the command line args in-process and returns stdout, stderr
// and the exit code main would use.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		errOut.WriteString(err.Error() + "\n")
		code = exitCode(err)
	}
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
	if _, errOut, code := run(t, "provisoin"); code != 2 || !strings.Contains(errOut, "provisoin") {
		t.Fatalf("unknown command: exit code %d, %q; want 2 naming it", code, errOut)
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
