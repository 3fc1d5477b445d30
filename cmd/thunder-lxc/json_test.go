package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// jsonCase is one command line run with --json and what its report's head
// must say.
type jsonCase struct {
	name    string
	args    []string
	command string
	code    int
	// errorKind is the report's errorKind; "" for a run that succeeds.
	errorKind string
}

// Every command with --json, succeeding and failing in each way it can,
// writes exactly one JSON object on stdout: camelCase keys, each once per
// object, "schema" and "command" in every report, "error" and "errorKind"
// exactly on failure, and no null anywhere (an empty list is [], an absent
// object is left out).
func TestJSONReportShape(t *testing.T) {
	dir := t.TempDir()
	kernelOK := testKernelConfig(t)
	kernelMissing := testKernelConfig(t, "USER_NS")
	buildroot := buildrootTree(t, testBuildrootConfig)
	buildrootMissing := buildrootTree(t, strings.Replace(testBuildrootConfig, "BR2_PACKAGE_LXC=y", "", 1))
	missing := filepath.Join(dir, "missing")
	unprovisioned := treetest.SampleTarget(t)

	cases := []jsonCase{
		{"check kernel ok", []string{"check", "kernel", kernelOK}, "check kernel", 0, ""},
		{"check kernel missing option", []string{"check", "kernel", kernelMissing}, "check kernel", 1, "problems"},
		{"check kernel unreadable", []string{"check", "kernel", missing}, "check kernel", 1, "failed"},
		{"check kernel bad value", []string{"check", "kernel", "--net", "wifi", kernelOK}, "check kernel", 2, "usage"},
		{"check buildroot ok", []string{"check", "buildroot", buildroot}, "check buildroot", 0, ""},
		{"check buildroot missing option", []string{"check", "buildroot", buildrootMissing}, "check buildroot", 1, "problems"},
		{"check buildroot unreadable", []string{"check", "buildroot", missing}, "check buildroot", 1, "failed"},
		{"idmap", []string{"idmap", "--keep-id", "1000"}, "idmap", 0, ""},
		{"idmap refused", []string{"idmap", "--keep-id", "70000"}, "idmap", 1, "failed"},
		{"idmap not a number", []string{"idmap", "--keep-id", "x"}, "idmap", 2, "usage"},
		{"verify no container", []string{"verify", "--target", unprovisioned, "OCDM"}, "verify", 1, "problems"},
		{"verify nothing to verify", []string{"verify", "--target", unprovisioned}, "verify", 0, ""},
		{"verify missing target", []string{"verify", "--target", missing}, "verify", 1, "failed"},
		{"verify without target", []string{"verify"}, "verify", 2, "usage"},
		{"provision without callsign", []string{"provision", "--target", unprovisioned}, "provision", 2, "usage"},
		{"provision unknown flag", []string{"provision", "OCDM", "--target", unprovisioned, "--bogus"}, "provision", 2, "usage"},
		{"provision missing target", []string{"provision", "OCDM", "--target", missing, "--rootfs", dir}, "provision", 1, "failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkJSONCase(t, c) })
	}

	t.Run("provision and verify", func(t *testing.T) {
		treetest.NeedRoot(t)
		src := filepath.Join(t.TempDir(), "rootfs")
		treetest.BusyboxRootfs(t, src)
		treetest.Run(t, "cp", filepath.Join(src, "bin/busybox"), filepath.Join(src, "usr/bin/ThunderPlugin"))
		target := treetest.SampleTarget(t)
		provision := []string{"provision", "OCDM", "--target", target, "--rootfs", src}
		for _, c := range []jsonCase{
			{"dry run", append(provision, "--dry-run"), "provision", 0, ""},
			{"privileged", append(provision, "--no-idmap"), "provision", 0, ""},
			{"rerun", append(provision, "--no-idmap"), "provision", 0, ""},
			{"changed options", provision, "provision", 1, "failed"},
			{"verify", []string{"verify", "--target", target}, "verify", 0, ""},
			{"with a share", append(provision, "--force", "--keep-id", "1000", "--share", "/var/log/TestLogging:TestLogging"), "provision", 0, ""},
			{"verify the share", []string{"verify", "--target", target, "OCDM"}, "verify", 0, ""},
		} {
			t.Run(c.name, func(t *testing.T) { checkJSONCase(t, c) })
		}
	})
}

// The --json flag is honoured wherever it stands, even after a flag that
// stops the parsing.
func TestJSONAfterBadFlag(t *testing.T) {
	for _, args := range [][]string{
		{"idmap", "--json", "--bogus"},
		{"idmap", "--bogus", "--json"},
		{"idmap", "--keep-id", "x", "--json"},
	} {
		out, _, code := run(t, args...)
		var head struct{ Command, Error, ErrorKind string }
		if err := json.Unmarshal([]byte(out), &head); err != nil || code != 2 || head.Command != "idmap" || head.ErrorKind != "usage" || head.Error == "" {
			t.Errorf("%q: exit %d, report %+v (%v): want 2 and a usage error", args, code, head, err)
		}
	}
	// After "--" it is an argument, not the flag.
	if out, _, code := run(t, "idmap", "--bogus", "--", "--json"); code != 2 || out != "" {
		t.Errorf("--json after --: exit %d, stdout %q; want 2 and nothing", code, out)
	}
}

func checkJSONCase(t *testing.T, c jsonCase) {
	t.Helper()
	args := append(append([]string{}, c.args...), "--json")
	out, errOut, code := run(t, args...)
	if code != c.code {
		t.Fatalf("%q: exit %d, want %d; stderr %s", args, code, c.code, errOut)
	}
	head, err := walkJSON(out)
	if err != nil {
		t.Fatalf("%q: %v\n%s", args, err, out)
	}
	if head["schema"] != float64(jsonSchema) || head["command"] != c.command {
		t.Errorf("%q: schema %v, command %v; want %d, %q", args, head["schema"], head["command"], jsonSchema, c.command)
	}
	message, _ := head["error"].(string)
	if head["errorKind"] != nilIfEmpty(c.errorKind) || (c.errorKind == "") != (message == "") {
		t.Errorf("%q: error %q, errorKind %v; want kind %q", args, message, head["errorKind"], c.errorKind)
	}
	if message != "" && !strings.Contains(errOut, message) {
		t.Errorf("%q: JSON error %q is not the one on stderr %q", args, message, errOut)
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var camelCase = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// walkJSON checks that out is exactly one JSON object whose keys, at every
// depth, are camelCase and unique, with no null value; it returns the
// object's scalar top-level members.
func walkJSON(out string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("stdout is not JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("stdout starts with %v, not an object", tok)
	}
	head := map[string]any{}
	if err := walkObject(dec, "", head); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("more than one JSON value on stdout")
	}
	return head, nil
}

// walkObject reads an object's members after its "{"; scalars of the top
// level go into head.
func walkObject(dec *json.Decoder, at string, head map[string]any) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		where := at + "." + key
		if !camelCase.MatchString(key) {
			return fmt.Errorf("key %s is not camelCase", where)
		}
		if seen[key] {
			return fmt.Errorf("key %s appears twice", where)
		}
		seen[key] = true
		value, err := walkValue(dec, where)
		if err != nil {
			return err
		}
		if head != nil && value != nil {
			head[key] = value
		}
	}
	_, err := dec.Token() // "}"
	return err
}

// walkValue reads one value and returns it when it is a scalar.
func walkValue(dec *json.Decoder, at string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case nil:
		return nil, fmt.Errorf("%s is null", at)
	case json.Delim('{'):
		return nil, walkObject(dec, at, nil)
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if _, err := walkValue(dec, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token() // "]"
		return nil, err
	}
	if n, ok := tok.(json.Number); ok {
		return n.Float64()
	}
	return tok, nil
}

// buildrootTree writes a Buildroot .config beside board/linux.config (a
// kernel config with every required option) and returns its path.
func buildrootTree(t *testing.T, config string) string {
	t.Helper()
	top := t.TempDir()
	kernel, err := os.ReadFile(testKernelConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(top, "board"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "board", "linux.config"), kernel, 0o644); err != nil {
		t.Fatal(err)
	}
	brc := filepath.Join(top, ".config")
	if err := os.WriteFile(brc, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return brc
}
