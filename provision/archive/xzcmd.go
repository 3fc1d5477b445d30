package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// systemXZ is the path of the build host's xz, "" to decode with the pure-Go
// ulikunitz/xz. Measured here (BenchmarkXzPureGoVsSystem): the system's xz
// decodes 1.7–1.8× faster, so it is used when installed, and pure Go keeps
// the tool working where it is not. Tests switch it to cover both.
var systemXZ = sync.OnceValue(func() string {
	p, _ := exec.LookPath("xz")
	return p
})

// xzCommand decodes src with the system's xz in its own process.
type xzCommand struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr bytes.Buffer
	once   sync.Once
	err    error
}

func newXZCommand(path string, src io.Reader) (*xzCommand, error) {
	x := &xzCommand{cmd: exec.Command(path, "--decompress", "--stdout", "--quiet", "--no-warn")}
	x.cmd.Stdin = src
	x.cmd.Stderr = &x.stderr
	var err error
	if x.out, err = x.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := x.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return x, nil
}

// Read hands on xz's output; at its end, xz's exit status decides between
// a clean end and an error (a truncated or corrupt stream).
func (x *xzCommand) Read(p []byte) (int, error) {
	n, err := x.out.Read(p)
	if errors.Is(err, io.EOF) {
		if werr := x.wait(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (x *xzCommand) wait() error {
	x.once.Do(func() {
		if err := x.cmd.Wait(); err != nil {
			msg := strings.TrimSpace(x.stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			x.err = fmt.Errorf("%w (xz: %s)", io.ErrUnexpectedEOF, msg)
		}
	})
	return x.err
}

// release stops xz when the reader is closed before the end.
func (x *xzCommand) release() {
	if x.cmd.ProcessState == nil {
		x.cmd.Process.Kill()
	}
	x.wait()
}
