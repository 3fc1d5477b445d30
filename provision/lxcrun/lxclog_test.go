package lxcrun

import (
	"slices"
	"testing"
)

// Lines of LXC 5.0.2's log at NOTICE, as lxc-execute wrote them.
const (
	logStarted = `lxc-execute Container 20261130123410.333 NOTICE   utils - ../src/lxc/utils.c:lxc_switch_uid_gid:1352 - Switched to uid 0
lxc-execute Container 20261130123410.369 NOTICE   conf - ../src/lxc/conf.c:lxc_setup:4518 - The container "Container" is set up
lxc-execute Container 20261130123410.371 WARN     start - ../src/lxc/start.c:do_start:1391 - Failed to ajust stdio permissions
lxc-execute Container 20261130123410.449 NOTICE   execute - ../src/lxc/execute.c:execute_post_start:34 - '/bin/sh' started with pid '13143'
`
	logFailed = `lxc-execute Container 20261130123344.543 ERROR    utils - ../src/lxc/utils.c:safe_mount:1220 - No such file or directory - Failed to mount "/var/log/TestLogging" onto "/usr/lib/x86_64-linux-gnu/lxc/rootfs/TestLogging"
lxc-execute Container 20261130123344.543 ERROR    conf - ../src/lxc/conf.c:lxc_setup:4419 - Failed to setup mount entries
lxc-execute Container 20261130123344.543 WARN     start - ../src/lxc/start.c:lxc_abort:1036 - No such process - Failed to send SIGKILL via pidfd 43 for process 10488
lxc-execute Container 20261130123344.546 ERROR    lxc_execute - ../src/lxc/tools/lxc_execute.c:main:224 - Failed run an application inside container
`
)

func TestReadLXCLog(t *testing.T) {
	if started, errs := readLXCLog([]byte(logStarted)); !started || len(errs) != 0 {
		t.Errorf("a started container's log: started %v, errors %q", started, errs)
	}
	started, errs := readLXCLog([]byte(logFailed))
	want := []string{
		`safe_mount: No such file or directory - Failed to mount "/var/log/TestLogging" onto "/usr/lib/x86_64-linux-gnu/lxc/rootfs/TestLogging"`,
		"lxc_setup: Failed to setup mount entries",
		"main: Failed run an application inside container",
	}
	if started || !slices.Equal(errs, want) {
		t.Errorf("a failed start's log: started %v, errors %q, want %q", started, errs, want)
	}
}
