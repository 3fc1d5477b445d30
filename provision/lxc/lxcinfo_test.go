package lxc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/hostview"
	"github.com/thunder-lxc/thunder-lxc/internal/treetest"
)

// libLXC asks the build host's liblxc (Debian's lxc 5.0.2) about configs:
// lxc-info fails when a config does not parse, and prints how liblxc
// understood a key when it does.
type libLXC struct {
	t       *testing.T
	lxcInfo string
	lxcpath string
}

func newLibLXC(t *testing.T) *libLXC {
	t.Helper()
	l := &libLXC{t: t, lxcInfo: treetest.NeedTool(t, "lxc-info", "lxc"), lxcpath: t.TempDir()}
	if err := os.Mkdir(filepath.Join(l.lxcpath, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	return l
}

// load writes a config of the given lines and returns what lxc-info says
// of key ("lxc.arch = i686" gives "i686"), or loaded false with lxc-info's
// output when liblxc refuses the config.
func (l *libLXC) load(lines, key string) (value string, loaded bool, out string) {
	l.t.Helper()
	if err := os.WriteFile(filepath.Join(l.lxcpath, "c", "config"), []byte("lxc.uts.name = c\n"+lines+"\n"), 0o644); err != nil {
		l.t.Fatal(err)
	}
	// Through hostview: lxc-info leaves a lock file for every container
	// it reads, which would stay on the build host.
	out, err := hostview.RunLXCTool(l.t, l.lxcInfo, "-P", l.lxcpath, "-n", "c", "-c", key)
	if err != nil {
		return "", false, out
	}
	_, value, _ = strings.Cut(strings.TrimSpace(out), "=")
	return strings.TrimSpace(value), true, out
}
