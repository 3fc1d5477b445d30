// Package fakeroot works inside a fakeroot or pseudo session: the layers
// Buildroot and Yocto run their image steps in, which let an ordinary user
// own files by root, make device nodes and set capabilities — for programs
// that call libc. They intercept libc through LD_PRELOAD, and a Go program
// makes its system calls itself, so every change the session must see (and
// every rename or removal, which pseudo tracks by path and fakeroot by
// inode) goes through a program run in the session, and so does every read
// of owners, modes and device numbers: GNU tar for trees, stat, mkdir, mv,
// rm, chown and chmod for the rest, batched into a handful of processes
// whatever the size of the tree.
//
// Two habits of the sessions are worked around here, both measured with
// Debian's fakeroot 1.31 and pseudo 1.9:
//
//   - GNU tar creates a file with its final mode and does not chmod it
//     again, so a file of mode 0000 is really 0000 and the build user's
//     later readers (another container's copy, the image maker) cannot
//     open it. A chmod run in the session records the mode and leaves the
//     real file readable by its owner, so Extract runs one for such files.
//   - GNU tar --xattrs makes a regular file that carries xattrs with
//     mknod(mode) before writing it, and fakeroot records such a file
//     without a file type ("Unknown file type" to every later tar -c).
//     Under fakeroot Extract therefore leaves xattrs to setfattr, run on
//     the finished files.
package fakeroot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// ErrNoGNUTar is returned when the session has no GNU tar to write trees
// with.
var ErrNoGNUTar = errors.New("GNU tar not found")

// Kinds of session.
const (
	KindFakeroot = "fakeroot"
	KindPseudo   = "pseudo"
)

// Session is the fakeroot-like session this process runs in.
type Session struct {
	// Kind is KindFakeroot, KindPseudo, or a description of another
	// LD_PRELOAD layer that makes programs see uid 0.
	Kind string
	tar  string
}

// Detect tells whether this process, not root itself, runs inside a
// session that makes the programs it starts see uid 0; nil when not. It
// asks a program (`id -u`), since only programs see the session.
func Detect(ctx context.Context) (*Session, error) {
	if os.Geteuid() == 0 || os.Getenv("LD_PRELOAD") == "" {
		return nil, nil
	}
	out, err := exec.CommandContext(ctx, "id", "-u").Output()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		return nil, nil
	}
	s := &Session{Kind: kind()}
	tarPath, err := exec.LookPath("tar")
	if err != nil {
		return nil, fmt.Errorf("inside %s: %w on PATH: install GNU tar, which writes the container's files in the session", s.Kind, ErrNoGNUTar)
	}
	version, _ := exec.CommandContext(ctx, tarPath, "--version").Output()
	if !bytes.Contains(version, []byte("GNU tar")) {
		return nil, fmt.Errorf("inside %s: %s is not GNU tar (%w): put GNU tar first on PATH, which writes the container's files in the session",
			s.Kind, tarPath, ErrNoGNUTar)
	}
	s.tar = tarPath
	return s, nil
}

// kind names the session from the variables each sets.
func kind() string {
	switch {
	case os.Getenv("FAKEROOTKEY") != "":
		return KindFakeroot
	case os.Getenv("PSEUDO_PREFIX") != "" || strings.Contains(os.Getenv("LD_PRELOAD"), "libpseudo"):
		return KindPseudo
	}
	return "an LD_PRELOAD root emulation (" + os.Getenv("LD_PRELOAD") + ")"
}

// Run runs a program in the session; its stdin is stdin (may be nil).
// The error carries what the program said.
func (s *Session) Run(ctx context.Context, stdin io.Reader, name string, args ...string) error {
	return s.runIn(ctx, "", stdin, nil, name, args...)
}

// runIn runs a program in the folder dir ("": this process's) and returns
// a *ProgramError when it fails.
func (s *Session) runIn(ctx context.Context, dir string, stdin io.Reader, stdout io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Stdin, cmd.Stdout = dir, stdin, stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return s.programError(name, dir, err, stderr.String())
	}
	return nil
}
