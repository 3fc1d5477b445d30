package mountns

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes mount namespaces and mounts in them")
	}
}

// unique is a name no build host has.
func unique(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:8])
}

// sh runs the shell script in the namespace and returns its output.
func sh(t *testing.T, ns *Namespace, script string) string {
	t.Helper()
	var out bytes.Buffer
	c := exec.Command("sh", "-c", script)
	c.Stdout, c.Stderr = &out, &out
	if err := ns.Do(c.Run); err != nil {
		t.Fatalf("in the namespace: %v\n%s", err, out.String())
	}
	return out.String()
}

func enter(t *testing.T, v *View) *Namespace {
	t.Helper()
	ns, err := v.Enter()
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertMissing(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s on the build host after the namespace ended: %v", name, err)
	}
}

func listing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A shown folder appears at a device path the host lacks, with its
// owner and mode; what is written there, and the path itself, are gone
// afterwards; the folder is unchanged. A file of the view's memory over a
// path /etc lacks makes room in an overlay of /etc, which takes writes too.
func TestShowKeepsWritesInMemory(t *testing.T) {
	needRoot(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "marker"), "from the target\n")
	if err := os.Chown(src, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src, os.ModeSetgid|0o770); err != nil {
		t.Fatal(err)
	}
	dir := "/var/log/" + unique("mountns-test")
	etcFile, etcWritten := "/etc/"+unique("mountns-test"), "/etc/"+unique("mountns-written")

	v := NewView()
	v.Show(filepath.Dir(src), filepath.Base(src), dir+"/deeper")
	v.BindData(etcFile, []byte("root:100000:65536\n"))
	hostMounts := readMountTable(t)
	ns := enter(t, v)
	out := sh(t, ns, "cat "+dir+"/deeper/marker "+etcFile+"; stat -c '%u %g %a' "+dir+"/deeper; touch "+dir+"/deeper/new; echo x > "+etcWritten)
	if got := readMountTable(t); got != hostMounts {
		t.Errorf("the build host's mount table changed while the namespace was open")
	}
	ns.Close()
	if want := "from the target\nroot:100000:65536\n1000 1000 2770\n"; out != want {
		t.Errorf("in the namespace: %q, want %q", out, want)
	}
	for _, p := range []string{dir, etcFile, etcWritten} {
		assertMissing(t, p)
	}
	if names := listing(t, src); strings.Join(names, " ") != "marker" {
		t.Errorf("the shown folder holds %v after the namespace ended, want only marker", names)
	}
}

func readMountTable(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A bound folder takes the writes: tests look at what a container wrote.
func TestBindWritesThrough(t *testing.T) {
	needRoot(t)
	src := t.TempDir()
	dir := "/var/log/" + unique("mountns-bind")
	v := NewView()
	if err := v.Bind(src, dir); err != nil {
		t.Fatal(err)
	}
	ns := enter(t, v)
	sh(t, ns, "touch "+dir+"/written")
	ns.Close()
	if names := listing(t, src); strings.Join(names, " ") != "written" {
		t.Errorf("the bound folder holds %v, want the file written in the namespace", names)
	}
	assertMissing(t, dir)
}

// A tmpfs hides what a folder holds and takes what is written there; a
// source below it, shown elsewhere, is still reached: sources are opened
// before anything is mounted.
func TestTmpfsHidesAFolderButNotASourceInIt(t *testing.T) {
	needRoot(t)
	hidden := t.TempDir()
	writeFile(t, filepath.Join(hidden, "host-file"), "x")
	if err := os.Mkdir(filepath.Join(hidden, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(hidden, "target", "config"), "seen\n")
	shown := "/var/log/" + unique("mountns-source")
	v := NewView()
	v.Tmpfs(hidden, 0o1777)
	v.Show(hidden, "target", shown)
	ns := enter(t, v)
	out := sh(t, ns, "ls -A "+hidden+"; stat -c %a "+hidden+"; cat "+shown+"/config; touch "+hidden+"/lock")
	ns.Close()
	if out != "1777\nseen\n" {
		t.Errorf("in the namespace: %q, want an empty 1777 tmpfs and the source's content", out)
	}
	if names := listing(t, hidden); strings.Join(names, " ") != "host-file target" {
		t.Errorf("the host folder holds %v, want host-file and target only", names)
	}
}

// Scratch shows the view's memory at a path: LXC's run folder.
func TestScratchTakesWrites(t *testing.T) {
	needRoot(t)
	dir := "/var/log/" + unique("mountns-scratch")
	v := NewView()
	v.Scratch(dir)
	v.WriteFile(dir+"/written-by-the-view", []byte("x"))
	ns := enter(t, v)
	out := sh(t, ns, "ls "+dir+"; touch "+dir+"/lock")
	ns.Close()
	if out != "written-by-the-view\n" {
		t.Errorf("the scratch folder shows %q", out)
	}
	assertMissing(t, dir)
}

// A view that cannot be made is a SetupError, and leaves nothing behind.
func TestSetupFailures(t *testing.T) {
	needRoot(t)
	missing := NewView()
	missing.Show(t.TempDir(), "missing", "/var/log/"+unique("mountns-missing"))
	if _, err := missing.Enter(); !errors.As(err, new(*SetupError)) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing source: %v, want a SetupError saying it does not exist", err)
	}
	top := "/" + unique("mountns-top")
	inRoot := NewView()
	inRoot.Tmpfs(top, 0o755)
	if _, err := inRoot.Enter(); !errors.As(err, new(*SetupError)) || !strings.Contains(err.Error(), "in / without changing") {
		t.Errorf("a mount point directly in /: %v", err)
	}
	assertMissing(t, top)
	outside := NewView()
	outside.WriteFile("/var/log/"+unique("mountns-outside"), nil)
	if _, err := outside.Enter(); err == nil || !strings.Contains(err.Error(), "keeps writes in memory") {
		t.Errorf("a file outside the view's memory: %v", err)
	}
}

// A private network has nothing but a loopback device.
func TestPrivateNetwork(t *testing.T) {
	needRoot(t)
	v := NewView()
	v.PrivateNetwork()
	ns := enter(t, v)
	out := sh(t, ns, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
	ns.Close()
	if out != "lo\n" {
		t.Errorf("network devices in the view: %q, want lo only", out)
	}
}
