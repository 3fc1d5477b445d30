package lxcrun

import (
	"fmt"
	"path"
	"strings"
)

// The smoke test's checks, each from the shell's answer to its probe (the
// zero probeAnswer when it gave none).

func startCheck(out Outcome) Check {
	if out.Started {
		return Check{Name: CheckStart, OK: true, Message: "LXC started the container from its config as written"}
	}
	msg := fmt.Sprintf("LXC failed to start the container (lxc-execute exited with status %d)", out.ExitCode)
	if len(out.LXCErrors) > 0 {
		msg = "LXC failed to start the container: " + out.LXCErrors[0]
	}
	return Check{Name: CheckStart, Message: msg}
}

func hostProcessCheck(prog string, a probeAnswer, output string) Check {
	c := Check{Name: CheckHostProcess, OK: a.ok}
	switch {
	case a.ok:
		c.Message = fmt.Sprintf("%s, which Thunder starts in the container by that bare name, is on the container's PATH: %s", prog, a.detail)
	case a.detail != "":
		c.Message = fmt.Sprintf("%s is not on the container's PATH (%s), so Thunder cannot start the plugin in it: install Thunder's %s in the rootfs", prog, a.detail, prog)
	default:
		c.Message = fmt.Sprintf("%s on PATH: %s", prog, noAnswer(output))
	}
	return c
}

func rootfsCheck(rootfsPath string, a probeAnswer, output string) Check {
	c := Check{Name: CheckRootfs, OK: a.ok}
	switch {
	case a.ok:
		c.Message = fmt.Sprintf("container root can write its rootfs %s", rootfsPath)
	case a.detail != "":
		c.Message = fmt.Sprintf("container root cannot write its rootfs %s (%s): under an ID map the rootfs must be owned by the host IDs container root maps to (shifted), not by host root", rootfsPath, a.detail)
	default:
		c.Message = "writing the rootfs: " + noAnswer(output)
	}
	return c
}

func volatileCheck(dir string, a probeAnswer, output string) Check {
	c := Check{Name: CheckVolatile, OK: a.ok}
	rel := strings.TrimPrefix(dir, "/")
	switch {
	case a.ok:
		c.Message = fmt.Sprintf("Thunder's volatile path %s is mounted in the container", dir)
	case output != "" && !strings.Contains(output, probePrefix):
		c.Message = fmt.Sprintf("%s: %s", dir, noAnswer(output))
	default:
		c.Message = fmt.Sprintf("Thunder's volatile path %s is not mounted in the container, and the plugin's hosting process needs it (Thunder hands it paths there): add lxc.mount.entry = %s %s none bind,create=dir 0 0", dir, dir, rel)
	}
	return c
}

// communicatorCheck: the hosting process connects to Thunder's
// communicator socket, which is in the volatile path or in a folder of its
// own that must be mounted too.
func (s *session) communicatorCheck(folders []string, answers map[string]probeAnswer, output string) Check {
	c := Check{Name: CheckCommunicator, OK: true}
	socket, ok := s.c.processes.CommunicatorSocket()
	if !ok {
		c.Message = fmt.Sprintf("Thunder's communicator is %s, a TCP address: no folder to mount", s.c.processes.Communicator)
		return c
	}
	dir := path.Dir(socket)
	answer := answers["folder0"]
	if len(folders) > 1 {
		answer = answers["folder1"]
	}
	c.OK = answer.ok
	switch {
	case answer.ok:
		c.Message = fmt.Sprintf("%s, the folder of Thunder's communicator socket %s, is mounted in the container", dir, socket)
	default:
		c.Message = fmt.Sprintf("%s, the folder of Thunder's communicator socket %s, is not mounted in the container, so the hosting process cannot reach Thunder: add lxc.mount.entry = %s %s none bind,create=dir 0 0",
			dir, socket, dir, strings.TrimPrefix(dir, "/"))
		if output != "" && !strings.Contains(output, probePrefix) {
			c.Message = fmt.Sprintf("%s: %s", dir, noAnswer(output))
		}
	}
	return c
}
