package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// complete runs the shell's completion request for args (the last one the
// word being completed) and returns the values offered, without their
// descriptions, and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	out, stderr, code := run(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	var directive int
	if _, err := fmt.Sscanf(last, ":%d", &directive); err != nil {
		t.Fatalf("%s: no directive line in %q", strings.Join(args, " "), out)
	}
	var values []string
	for _, l := range lines[:len(lines)-1] {
		value, _, _ := strings.Cut(l, "\t")
		values = append(values, value)
	}
	return values, cobra.ShellCompDirective(directive)
}

// Flag values complete from the lists the tool accepts; file and folder
// flags ask the shell for names.
func TestCompletionOfFlagValues(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want      []string
		directive cobra.ShellCompDirective
	}{
		{[]string{"provision", "--layout", ""}, []string{"auto", "thunder", "wpeframework"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"verify", "--layout", ""}, []string{"auto", "thunder", "wpeframework"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"provision", "--seccomp", ""}, []string{"comment", "keep", "auto"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"image", "--progress", ""}, []string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"provision", "--net", ""}, []string{"empty", "none", "veth:lxcbr0"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"check", "kernel", "--net", ""}, []string{"empty", "none", "veth", "macvlan", "vlan", "phys"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"image", "--compress", ""}, []string{"tar", "gzip", "zstd", "xz", "lz4"}, cobra.ShellCompDirectiveNoFileComp},
		{[]string{"provision", "--rootfs", ""}, nil, cobra.ShellCompDirectiveDefault},
		{[]string{"provision", "--template", ""}, nil, cobra.ShellCompDirectiveDefault},
		{[]string{"verify", "--kernel-config", ""}, nil, cobra.ShellCompDirectiveDefault},
		{[]string{"provision", "--target", ""}, nil, cobra.ShellCompDirectiveFilterDirs},
		// IN is a file; cobra offers the required flag not given yet.
		{[]string{"image", ""}, []string{"--output", "-o"}, cobra.ShellCompDirectiveDefault},
		{[]string{"idmap", ""}, nil, cobra.ShellCompDirectiveNoFileComp},
	} {
		got, directive := complete(t, c.args...)
		if !slices.Equal(got, c.want) || directive != c.directive {
			t.Errorf("%s: got %q directive %d, want %q directive %d", strings.Join(c.args, " "), got, directive, c.want, c.directive)
		}
	}
	arches, _ := complete(t, "provision", "--arch", "")
	for _, want := range []string{"auto", "linux32", "linux64", "armhf", "aarch64"} {
		if !slices.Contains(arches, want) {
			t.Errorf("--arch completes %q, lacking %s", arches, want)
		}
	}
}

// Callsigns complete from the plugin configs of the --target on the line:
// by file name, or by the "callsign" key when a config has one.
func TestCompletionOfCallsignsFromTheTarget(t *testing.T) {
	target := treetest.SampleTarget(t)
	renamed := `{"callsign":"Netflix2","classname":"Netflix","configuration":{"root":{"mode":"Local"}}}`
	if err := os.WriteFile(filepath.Join(target, "etc/Thunder/plugins/netflix-second.json"), []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	all := []string{"DeviceInfo", "Netflix2", "OCDM"}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"provision", "--target", target, ""}, all},
		{[]string{"provision", "--target=" + target, "--layout", "thunder", ""}, all},
		{[]string{"verify", "--target", target, ""}, all},
		// Those already on the line are not offered again.
		{[]string{"provision", "OCDM", "--target", target, ""}, []string{"DeviceInfo", "Netflix2"}},
		// No target on the line: the flag, required, is what to type.
		{[]string{"provision", ""}, []string{"--target"}},
		// A target with no Thunder layout: nothing.
		{[]string{"provision", "--target", t.TempDir(), ""}, nil},
	} {
		got, directive := complete(t, c.args...)
		if !slices.Equal(got, c.want) || directive != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("%s: got %q directive %d, want %q", strings.Join(c.args, " "), got, directive, c.want)
		}
	}
}
