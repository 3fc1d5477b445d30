// Package sessiontest runs shell scripts as an ordinary user inside the
// real fakeroot and pseudo of the build host, the root emulations Buildroot
// and Yocto build images in, and describes the tar archives made there so
// that tests can compare what a session recorded with what root made.
package sessiontest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// User is the ordinary user the sessions run as: nobody, who owns nothing
// on the build host.
const User = 65534

// Kind is a root emulation.
type Kind struct {
	Name string
	// Unpack is a shell function `unpack TAR DIR XATTRS` that unpacks a
	// rootfs tar made by root into DIR the way builds in this session do,
	// XATTRS being the `getfattr --dump` of the tree the tar was made
	// from. Debian's fakeroot records a file that GNU tar --xattrs unpacks
	// without a file type, so under fakeroot the tar is unpacked without
	// xattrs and they are set afterwards, as Buildroot's makedevs sets
	// capabilities in its fakeroot session.
	Unpack string
}

// Kinds are the sessions the tests run in.
var Kinds = []Kind{
	{Name: "fakeroot", Unpack: `unpack() { tar --numeric-owner -xpf "$1" -C "$2" && (cd "$2" && setfattr -h --restore="$3"); }`},
	{Name: "pseudo", Unpack: `unpack() { tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$1" -C "$2"; }`},
}

// Snapshot is a shell function `snapshot DIR OUT` that makes a tar of DIR
// as the session sees it, in a stable order, with everything a rootfs
// holds.
const Snapshot = `snapshot() { tar -C "$1" --sort=name --numeric-owner --xattrs --xattrs-include='*' -cf "$2" .; }`

// Need skips a test that cannot run sessions here, saying why.
func Need(t testing.TB, k Kind) {
	t.Helper()
	treetest.NeedRoot(t) // to become the ordinary user
	treetest.NeedTool(t, "setpriv", "util-linux")
	treetest.NeedTool(t, k.Name, k.Name)
	treetest.NeedTool(t, "setfattr", "attr")
	treetest.NeedTool(t, "getfattr", "attr")
}

// WorkDir makes a folder the ordinary user owns and can reach, inside the
// test's temporary folder.
func WorkDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "work")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, User, User); err != nil {
		t.Fatal(err)
	}
	// t.TempDir's folders are 0700: open the test's own ones (never the
	// system's temporary folder above them) so the user can reach dir.
	for _, p := range []string{filepath.Dir(dir), filepath.Dir(filepath.Dir(dir))} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Run runs script with bash as the ordinary user inside the session of
// kind k that belongs to the folder dir, in dir, with Snapshot and
// k.Unpack defined and env added to the environment. It returns what the
// script wrote (stdout and stderr) and its error.
func Run(t testing.TB, k Kind, dir, script string, env ...string) (string, error) {
	t.Helper()
	full := "set -e\n" + Snapshot + "\n" + k.Unpack + "\n" + script
	cmd := Command(t, k, dir, "bash", "-c", full)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Command is the command that runs argv as the ordinary user inside the
// session of kind k that belongs to the folder dir: what one session run
// records, the next one sees. fakeroot saves its records in
// dir/.fakeroot on exit and loads them on start; pseudo keeps its database
// in dir/.pseudo, and its server is stopped when the test ends.
func Command(t testing.TB, k Kind, dir string, argv ...string) *exec.Cmd {
	t.Helper()
	user := []string{"--reuid=" + fmt.Sprint(User), "--regid=" + fmt.Sprint(User), "--clear-groups"}
	var args []string
	switch k.Name {
	case "fakeroot":
		state := filepath.Join(dir, ".fakeroot")
		args = append(user, "fakeroot", "-s", state)
		if _, err := os.Stat(state); err == nil {
			args = append(args, "-i", state)
		}
		args = append(args, "--")
	case "pseudo":
		state := filepath.Join(dir, ".pseudo")
		if err := os.MkdirAll(state, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(state, User, User); err != nil {
			t.Fatal(err)
		}
		pseudoEnv := []string{"env", "PSEUDO_PREFIX=/usr", "PSEUDO_LOCALSTATEDIR=" + state}
		args = append(append(user, pseudoEnv...), "pseudo")
		t.Cleanup(func() {
			exec.Command("setpriv", append(append(user, pseudoEnv...), "pseudo", "-S")...).Run()
		})
	default:
		t.Fatalf("unknown session kind %q", k.Name)
	}
	cmd := exec.Command("setpriv", append(args, argv...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	return cmd
}

// MustRun is Run that fails the test when the script fails.
func MustRun(t testing.TB, k Kind, dir, script string, env ...string) string {
	t.Helper()
	out, err := Run(t, k, dir, script, env...)
	if err != nil {
		t.Fatalf("in %s: %v\n%s", k.Name, err, out)
	}
	return out
}

// XattrDump writes getfattr's dump of every extended attribute in the
// tree dir (names relative to it, symlinks not followed) to file, for
// Kind.Unpack.
func XattrDump(t testing.TB, dir, file string) {
	t.Helper()
	cmd := exec.Command("getfattr", "-R", "-h", "-d", "-m", "-", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("getfattr in %s: %v", dir, err)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Describe lists the entries of the tar archive file, one line each in
// archive order: name, type, mode, owner, size, device numbers, link
// target, extended attributes, content hash and modification time. Two
// trees archived the same way are equal when their descriptions are.
// untimed tells for which names (as in the archive, "./" prefix removed)
// the time is left out: files written at run time, folders changed by it.
func Describe(t testing.TB, file string, untimed func(name string, dir bool) bool) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return lines
		}
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		sum := sha256.New()
		if _, err := io.Copy(sum, tr); err != nil {
			t.Fatalf("read %s in %s: %v", h.Name, file, err)
		}
		var xattrs []string
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				xattrs = append(xattrs, name+"="+hex.EncodeToString([]byte(v)))
			}
		}
		sort.Strings(xattrs)
		when := h.ModTime.UTC().Format("2006-01-02T15:04:05.999999999")
		if untimed != nil && untimed(name, h.Typeflag == tar.TypeDir) {
			when = "-"
		}
		lines = append(lines, fmt.Sprintf("%s type=%c mode=%04o owner=%d:%d size=%d dev=%d,%d link=%q xattrs=%s sha256=%s time=%s",
			name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Size, h.Devmajor, h.Devminor, h.Linkname,
			strings.Join(xattrs, ","), hex.EncodeToString(sum.Sum(nil))[:16], when))
	}
}

// Diff says how two descriptions differ, a few lines at most; "" when
// they are equal.
func Diff(want, got []string) string {
	wantSet, gotSet := map[string]bool{}, map[string]bool{}
	for _, l := range want {
		wantSet[l] = true
	}
	for _, l := range got {
		gotSet[l] = true
	}
	var out []string
	for _, l := range want {
		if !gotSet[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range got {
		if !wantSet[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 && len(want) != len(got) {
		out = append(out, fmt.Sprintf("%d entries, want %d (a repeated entry)", len(got), len(want)))
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("… and %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}
