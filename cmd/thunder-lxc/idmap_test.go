package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestIDMapCommand(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"lxc.idmap = u 0 100000 65536", "lxc.idmap = g 0 100000 65536"}},
		{[]string{"--keep-id", "1000"}, []string{
			"lxc.idmap = u 0 100000 1000", "lxc.idmap = u 1000 1000 1", "lxc.idmap = u 1001 101001 64535",
			"lxc.idmap = g 0 100000 1000", "lxc.idmap = g 1000 1000 1", "lxc.idmap = g 1001 101001 64535",
		}},
		{[]string{"--idmap-base", "200000", "--idmap-size", "10", "--keep-uid", "9", "--keep-gid", "0,1", "--keep-gid", "1"}, []string{
			"lxc.idmap = u 0 200000 9", "lxc.idmap = u 9 9 1",
			"lxc.idmap = g 0 0 2", "lxc.idmap = g 2 200002 8",
		}},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, append([]string{"idmap"}, tt.args...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("idmap %q: exit %d, stderr %q", tt.args, code, errOut)
		}
		if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); !slices.Equal(got, tt.want) {
			t.Errorf("idmap %q:\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}
}

func TestIDMapCommandJSON(t *testing.T) {
	out, _, code := run(t, "idmap", "--keep-id", "1000", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var report struct {
		Request struct{ Base, Size int }
		UID     []struct {
			Kind                   string
			Container, Host, Count int
		}
		Lines, SubUID, SubGID []string
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if report.Request.Base != 100000 || len(report.UID) != 3 || report.UID[1].Host != 1000 || report.UID[1].Kind != "u" {
		t.Errorf("report %+v", report)
	}
	if len(report.Lines) != 6 || report.Lines[0] != "lxc.idmap = u 0 100000 1000" {
		t.Errorf("lines %q", report.Lines)
	}
	want := []string{"root:1000:1", "root:100000:1000", "root:101001:64535"}
	if !slices.Equal(report.SubUID, want) || !slices.Equal(report.SubGID, want) {
		t.Errorf("grants %q / %q, want %q", report.SubUID, report.SubGID, want)
	}
}

// idmap's first spellings --base, --size and --keep still work, as hidden
// aliases of provision's --idmap-base, --idmap-size and --keep-id.
func TestIDMapCommandOldFlagNames(t *testing.T) {
	current, _, code := run(t, "idmap", "--idmap-base", "200000", "--idmap-size", "2000", "--keep-id", "1000", "--keep-id", "1001")
	if code != 0 || !strings.Contains(current, "lxc.idmap = u 1000 1000 2") {
		t.Fatalf("exit %d, output %q", code, current)
	}
	old, errOut, code := run(t, "idmap", "--base", "200000", "--size=2000", "--keep", "1000", "--keep-id", "1001")
	if code != 0 || old != current {
		t.Errorf("old names: exit %d %s\n got %q\nwant %q", code, errOut, old, current)
	}
	help, _, _ := run(t, "idmap", "--help")
	for _, name := range []string{"--base", "--size", "--keep "} {
		if strings.Contains(help, name) {
			t.Errorf("help shows the old name %s:\n%s", name, help)
		}
	}
}

func TestIDMapCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--keep-id", "70000"}, 1, "kept uid 70000: outside the container's IDs 0-65535"},
		{[]string{"--idmap-base", "1000", "--keep-gid", "1000"}, 1, "kept gid 1000: host ID 1000 is already used"},
		{[]string{"--idmap-size", "0", "--idmap-base", "-1"}, 1, "id map size 0: must be at least 1 (the guide uses 65536); id map base -1"},
		{[]string{"--keep-id", "x"}, 2, `invalid argument "x" for "--keep-id"`},
		{[]string{"extra"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, append([]string{"idmap"}, tt.args...)...)
		if code != tt.code || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("idmap %q: exit %d (want %d), stdout %q, stderr %q (want %q)", tt.args, code, tt.code, out, errOut, tt.want)
		}
		if tt.code == 1 && strings.Count(errOut, "\n") != 1 {
			t.Errorf("idmap %q: error is not one line: %q", tt.args, errOut)
		}
	}
}

func TestIDMapCommandWarnsOldKernels(t *testing.T) {
	out, errOut, code := run(t, "idmap", "--keep-uid", "10,20,30")
	if code != 0 || strings.Count(out, "\n") != 8 {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if !strings.Contains(errOut, "warning: 7 uid ranges; Linux before 4.15 accepts at most 5") || strings.Contains(errOut, "gid") {
		t.Errorf("stderr %q", errOut)
	}
}
