package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/sessiontest"
)

// verify inside a fakeroot or pseudo session (a Yocto task, a Buildroot
// post-fakeroot script) reads owners as the session has them: the
// container that provision shifted there passes, while the same tree seen
// from outside, owned by the build user, has owners the ID map does not
// map.
func TestVerifyInASessionReadsTheSessionsOwners(t *testing.T) {
	inEachSession(t, func(t *testing.T, k sessiontest.Kind, f *sessionFixture) {
		script := `mkdir target && unpack rootfs.tar target rootfs.xattrs
cp target/bin/busybox target/usr/bin/ThunderPlugin
"$BIN" provision OCDM --target target --keep-id 1000 --share /var/log/TestLogging:TestLogging --progress never >/dev/null
"$BIN" verify --target target OCDM`
		out := sessiontest.MustRun(t, k, f.dir, script, "BIN="+f.bin)
		if !strings.Contains(out, "OCDM: /usr/share/Thunder/OCDM/Container (would start)") || strings.Contains(out, "error [") {
			t.Errorf("verify in %s:\n%s", k.Name, out)
		}
		if !strings.Contains(out, "(host owner 1000:1000, mode 7770) as /TestLogging") {
			t.Errorf("verify in %s does not see the share as the session made it:\n%s", k.Name, out)
		}

		outside := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", f.bin, "verify", "--target", "target", "OCDM")
		outside.Dir = f.dir
		seen, err := outside.CombinedOutput()
		if err == nil || !strings.Contains(string(seen), "error [owner]") {
			t.Errorf("verify outside the session: %v, want the build user's owners found unmapped:\n%s", err, seen)
		}
	})
}
