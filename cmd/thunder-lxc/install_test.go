package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// make install puts the binary, a manual page for every command (each of
// which man renders) and the three completion scripts in their usual
// folders under PREFIX, under DESTDIR too when it is given.
func TestMakeInstall(t *testing.T) {
	make := treetest.NeedTool(t, "make", "make")
	man := treetest.NeedTool(t, "man", "man-db")
	repo := treetest.RepoRoot(t)
	for _, c := range []struct {
		name, prefix, destdir string
	}{
		{name: "prefix", prefix: t.TempDir()},
		{name: "destdir", prefix: "/usr/local", destdir: t.TempDir()},
	} {
		t.Run(c.name, func(t *testing.T) {
			build := t.TempDir()
			cmd := exec.Command(make, "-C", repo, "install", "PREFIX="+c.prefix, "DESTDIR="+c.destdir,
				"BIN="+filepath.Join(build, "thunder-lxc"), "MANOUT="+filepath.Join(build, "man"))
			cmd.Env = withoutMakeFlags(os.Environ())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make install: %v\n%s", err, out)
			}
			top := filepath.Join(c.destdir, c.prefix)

			bin := filepath.Join(top, "bin/thunder-lxc")
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "thunder-lxc ") {
				t.Errorf("installed %s --version: %v: %q", bin, err, out)
			}

			man1 := filepath.Join(top, "share/man/man1")
			pages, _ := filepath.Glob(filepath.Join(man1, "*.1"))
			var want []string
			forEachCommand(newRootCmd(), func(c *cobra.Command) {
				if c.IsAvailableCommand() || !c.HasParent() {
					want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
				}
			})
			var got []string
			for _, p := range pages {
				got = append(got, filepath.Base(p))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("manual pages in %s:\n got %v\nwant %v", man1, got, want)
			}
			for _, p := range pages {
				render := exec.Command(man, "-l", p)
				// Wide enough that the NAME line is not broken.
				render.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=200", "LC_ALL=C.UTF-8")
				var stderr strings.Builder
				render.Stderr = &stderr
				text, err := render.Output()
				name := strings.TrimSuffix(filepath.Base(p), ".1")
				if err != nil || stderr.Len() > 0 || !strings.Contains(string(text), name+" - ") {
					t.Errorf("man -l %s: %v, stderr %q\n%s", p, err, stderr.String(), text)
				}
			}

			for _, script := range []string{
				"share/bash-completion/completions/thunder-lxc",
				"share/zsh/site-functions/_thunder-lxc",
				"share/fish/vendor_completions.d/thunder-lxc.fish",
			} {
				data, err := os.ReadFile(filepath.Join(top, script))
				if err != nil || !strings.Contains(string(data), "__complete") {
					t.Errorf("completion script %s: %v (%d bytes, no call of __complete)", script, err, len(data))
				}
			}
			if c.destdir == "" {
				bashCompletesLayouts(t, top)
			}
		})
	}
}

// bashCompletesLayouts sources the installed bash completion and completes
// "thunder-lxc provision --layout " as bash would on Tab, with the
// installed binary first on PATH.
func bashCompletesLayouts(t *testing.T, prefix string) {
	t.Helper()
	bash := treetest.NeedTool(t, "bash", "bash")
	const framework = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(framework); err != nil {
		t.Skipf("needs %s (Debian package bash-completion; make test installs it when run as root): %v", framework, err)
	}
	script := `source ` + framework + `
source "$PREFIX/share/bash-completion/completions/thunder-lxc"
COMP_WORDS=(thunder-lxc provision --layout "")
COMP_CWORD=3
COMP_LINE="thunder-lxc provision --layout "
COMP_POINT=${#COMP_LINE}
__start_thunder-lxc thunder-lxc "" --layout
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PREFIX="+prefix, "PATH="+filepath.Join(prefix, "bin")+":"+os.Getenv("PATH"))
	// stderr has compopt's complaint that no completion is under way:
	// bash itself is not completing, the test calls the function.
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash completion: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"auto", "thunder", "wpeframework"}) {
		t.Errorf("bash completes --layout with %q, want auto thunder wpeframework", out)
	}
}

// withoutMakeFlags drops what a make running the tests passes its
// children, so the make this test starts works as a user's would.
func withoutMakeFlags(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}, name)
	})
}
