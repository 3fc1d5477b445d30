// Package fakeroot works inside a fakeroot or pseudo session: the layers
// Buildroot and Yocto run their image steps in, which let an ordinary user
// own files by root, make device nodes and set capabilities — for programs
// that call libc. They intercept libc through LD_PRELOAD, and a Go program
// makes its system calls itself, so every change the session must see (and
// every rename or removal, which pseudo tracks by path and fakeroot by
// inode) goes through a program run in the session: GNU tar for trees,
// mkdir, mv, rm, chown and chmod for the rest, batched into a handful of
// processes whatever the size of the tree.
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

// Session is the fakeroot-like session this process runs in.
type Session struct {
	// Kind is "fakeroot", "pseudo", or a description of another
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
		return nil, fmt.Errorf("inside %s: %w: install GNU tar, which writes the container's files in the session", s.Kind, ErrNoGNUTar)
	}
	version, _ := exec.CommandContext(ctx, tarPath, "--version").Output()
	if !bytes.Contains(version, []byte("GNU tar")) {
		return nil, fmt.Errorf("inside %s: %s is not GNU tar: %w", s.Kind, tarPath, ErrNoGNUTar)
	}
	s.tar = tarPath
	return s, nil
}

// kind names the session from the variables each sets.
func kind() string {
	switch {
	case os.Getenv("FAKEROOTKEY") != "":
		return "fakeroot"
	case os.Getenv("PSEUDO_PREFIX") != "" || strings.Contains(os.Getenv("LD_PRELOAD"), "libpseudo"):
		return "pseudo"
	}
	return "an LD_PRELOAD root emulation (" + os.Getenv("LD_PRELOAD") + ")"
}

// Run runs a program in the session; its stdin is stdin (may be nil).
// The error carries what the program said.
func (s *Session) Run(ctx context.Context, stdin io.Reader, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s (in %s): %w: %s", name, s.Kind, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Output runs a program in the session and returns its standard output.
func (s *Session) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s (in %s): %w: %s", name, s.Kind, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// tarFlags keep everything a rootfs holds, by number.
var tarFlags = []string{"--numeric-owner", "--xattrs", "--xattrs-include=*", "--no-recursion"}

// Extract unpacks the tar stream r into the existing folder dir with GNU
// tar in the session, which records owners, devices, modes and xattrs as
// root would have them.
func (s *Session) Extract(ctx context.Context, dir string, r io.Reader) error {
	args := append([]string{"-x", "-p", "--same-owner", "-f", "-", "-C", dir}, tarFlags[:3]...)
	return s.Run(ctx, r, s.tar, args...)
}

// Archive starts GNU tar in the session writing a tar stream of the given
// names (relative to dir, each archived alone: folders without their
// members) as the session sees them. The caller reads the stream and then
// calls wait.
func (s *Session) Archive(ctx context.Context, dir string, names []string) (io.ReadCloser, func() error, error) {
	list := strings.Join(names, "\x00")
	// --no-recursion and --null are positional: they hold for the names
	// that follow, so they come before -T.
	args := append([]string{"-c", "-f", "-", "-C", dir}, tarFlags...)
	args = append(args, "--null", "-T", "-")
	cmd := exec.CommandContext(ctx, s.tar, args...)
	cmd.Stdin = strings.NewReader(list)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start tar (in %s): %w", s.Kind, err)
	}
	wait := func() error {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("tar -c (in %s): %w: %s", s.Kind, err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	return out, wait, nil
}
