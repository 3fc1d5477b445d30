package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/thunder-lxc/thunder-lxc/internal/lxctest"
	"github.com/thunder-lxc/thunder-lxc/provision"
	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// testShare and socketShare are the shared folders' device paths: unique,
// so the build host has neither and the tests create neither on it.
var (
	testShare   = lxctest.UniqueDevicePath("/var/log", "testshare")
	socketShare = lxctest.UniqueDevicePath("/var/log", "sock")
)

func grantFor(t *testing.T, report provision.Report) {
	t.Helper()
	req := lxc.DefaultIDMapRequest()
	for _, line := range report.IDMap {
		var kind string
		var c, h, n int
		fmt.Sscanf(line, "%s %d %d %d", &kind, &c, &h, &n)
		if c == h && kind == "u" {
			req.KeepUIDs = append(req.KeepUIDs, c)
		}
		if c == h && kind == "g" {
			req.KeepGIDs = append(req.KeepGIDs, c)
		}
	}
	m, err := lxc.NewIDMap(req)
	if err != nil {
		t.Fatal(err)
	}
	lxctest.GrantRoot(t, m)
}

// With the guide's map, a shifted rootfs belongs to the container's root;
// without shifting (the guide's way) root sees nobody's files and cannot
// write its own home.
func TestEndToEndShiftedOwnership(t *testing.T) {
	const probe = `stat -c '%u %g' / /root; if touch /root/x 2>/dev/null; then echo write-ok; else echo write-denied; fi`
	for _, c := range []struct {
		flag      string
		wantOwner string
		wantWrite string
	}{
		{"--shift-ids", "0 0", "write-ok"},
		{"--no-shift-ids", "65534 65534", "write-denied"},
	} {
		t.Run(c.flag, func(t *testing.T) {
			target, tarball := e2eTarget(t)
			report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", tarball, c.flag)
			grantFor(t, report)
			res := lxctest.Execute(t, target, []string{report.DataPath}, report.Containers[0].Dir, lxctest.Env(),
				"/bin/busybox", "sh", "-c", probe)
			if res.ExitCode != 0 {
				t.Fatalf("container: %s", res)
			}
			lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
			want := []string{c.wantOwner, c.wantOwner, c.wantWrite}
			if strings.Join(lines, "|") != strings.Join(want, "|") {
				t.Fatalf("inside the container: %q, want %q", lines, want)
			}
			rootHome := filepath.Join(target, strings.TrimPrefix(report.Containers[0].Dir, "/"), "rootfs/root")
			info, err := os.Stat(rootHome)
			if err != nil {
				t.Fatal(err)
			}
			if st := info.Sys().(*syscall.Stat_t); c.flag == "--shift-ids" && (st.Uid != 100000 || st.Gid != 100000) {
				t.Errorf("host owner of rootfs/root: %d:%d, want 100000:100000", st.Uid, st.Gid)
			}
		})
	}
}

// A kept ID passes through: what container uid 1000 writes in the shared
// folder is owned by 1000 on the device.
func TestEndToEndKeptIDShare(t *testing.T) {
	target, tarball := e2eTarget(t)
	report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", tarball,
		"--keep-id", "1000", "--share", testShare+":TestLogging")
	wantMap := "u 0 100000 1000|u 1000 1000 1|u 1001 101001 64535|g 0 100000 1000|g 1000 1000 1|g 1001 101001 64535"
	if got := strings.Join(report.IDMap, "|"); got != wantMap {
		t.Fatalf("idmap %s, want %s", got, wantMap)
	}
	grantFor(t, report)
	res := lxctest.ExecuteAs(t, 1000, 1000, target, []string{report.DataPath, testShare}, report.Containers[0].Dir, lxctest.Env(),
		"/bin/busybox", "sh", "-c", "id -u; echo logged > /TestLogging/log.txt")
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "1000" {
		t.Fatalf("writing as uid 1000 in the container: %s", res)
	}
	info, err := os.Stat(filepath.Join(target, testShare, "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 1000 {
		t.Fatalf("log.txt on the host is owned by %d:%d, want 1000:1000", st.Uid, st.Gid)
	}
	if !report.Shares[0].Access.For(1000, 1000).Write {
		t.Error("the explanation says uid 1000 cannot write the share, but it did")
	}
}

// The guide's domain-socket case: a container user that is neither the
// socket's owner nor in its group can connect only when the socket has the
// "other" write bit; the report predicts both outcomes.
func TestEndToEndSocketPermissions(t *testing.T) {
	target, tarball := e2eTarget(t)
	report := provisionJSON(t, "OCDM", "--target", target, "--rootfs", tarball,
		"--keep-id", "1000", "--share", socketShare+":run/sockets", "--share-mode", "0755")
	grantFor(t, report)
	share := report.Shares[0]
	// The client goes into the container's rootfs; it is a static program.
	rootfs := filepath.Join(target, strings.TrimPrefix(report.Containers[0].Dir, "/"), "rootfs")
	lxctest.BuildUnixConnect(t, filepath.Join(rootfs, "bin/unixconnect"))

	sock := filepath.Join(target, socketShare, "thunder.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	// The listening process runs as the share's owner, as a device service
	// would.
	if err := os.Chown(sock, share.Owner.UID, share.Owner.GID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode       os.FileMode
		prediction lxc.AccessReport
	}{{0o775, share.Socket0775}, {0o777, share.Socket0777}} {
		if err := os.Chmod(sock, c.mode); err != nil {
			t.Fatal(err)
		}
		predicted := c.prediction.For(2000, 2000).Write
		res := lxctest.ExecuteAs(t, 2000, 2000, target, []string{report.DataPath, socketShare}, report.Containers[0].Dir, lxctest.Env(),
			"/bin/unixconnect", "/run/sockets/thunder.sock")
		connected := res.ExitCode == 0
		if res.ExitCode != 0 && res.ExitCode != 13 {
			t.Fatalf("mode %04o: unexpected result: %s", c.mode, res)
		}
		if connected != predicted {
			t.Errorf("mode %04o: uid 2000 connected=%v, the report predicted %v (%s)", c.mode, connected, predicted, strings.Join(c.prediction.Lines, " "))
		}
		if want := c.mode == 0o777; connected != want {
			t.Errorf("mode %04o: uid 2000 connected=%v, want %v", c.mode, connected, want)
		}
	}
}
