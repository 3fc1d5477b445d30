package fakeroot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
)

// tarKeep are the GNU tar flags that keep everything a rootfs holds, by
// number.
var tarKeep = []string{"--numeric-owner", "--xattrs", "--xattrs-include=*"}

// Names hands the names a tar stream is made of to emit, one by one; an
// error from emit is returned as it is.
type Names func(emit func(name string) error) error

// Archive starts GNU tar in the session writing a tar stream of the names
// that names emits (relative to dir, each archived alone: folders without
// their members) as the session sees them. The names flow to tar while
// they are found, never held in memory all at once. The caller reads the
// stream and then calls wait, which reports a failure of either side: a
// failed listing stops tar, so a partial stream never passes for a whole
// one.
func (s *Session) Archive(ctx context.Context, dir string, names Names) (io.ReadCloser, func() error, error) {
	ctx, stop := context.WithCancel(ctx)
	// --no-recursion, --null and --verbatim-files-from (a name starting
	// with "-" is no option) are positional: they hold for the names that
	// follow, so they come before -T.
	args := append([]string{"-c", "-f", "-"}, tarKeep...)
	args = append(args, "--no-recursion", "--null", "--verbatim-files-from", "-T", "-")
	cmd := exec.CommandContext(ctx, s.tar, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		stop()
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		stop()
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		stop()
		return nil, nil, fmt.Errorf("start tar in %s: %w", s.Kind, err)
	}
	listed := make(chan error, 1)
	go func() {
		err := writeNames(stdin, names)
		if err != nil && !errors.Is(err, syscall.EPIPE) {
			stop() // tar must not finish a stream from half a list
		}
		listed <- err
	}()
	wait := func() error {
		defer stop()
		tarErr := cmd.Wait()
		listErr := <-listed
		switch {
		case listErr != nil && !errors.Is(listErr, syscall.EPIPE):
			return listErr
		case tarErr != nil:
			return s.programError(s.tar, dir, tarErr, stderr.String())
		}
		return listErr
	}
	return out, wait, nil
}

// writeNames writes the names NUL-terminated to tar's stdin and closes it.
func writeNames(stdin io.WriteCloser, names Names) error {
	w := bufio.NewWriterSize(stdin, 64<<10)
	err := names(func(name string) error {
		if _, err := w.WriteString(name); err != nil {
			return err
		}
		return w.WriteByte(0)
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	return err
}
