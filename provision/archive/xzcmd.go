package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
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

// xzPipeSize is the pipe between xz and the reader: xz decodes up to this
// far ahead of the reader (the default pipe holds 64 KiB).
const xzPipeSize = 1 << 20

// newXZCommand starts xz on src; an *os.File is handed to xz itself,
// anything else is copied into xz's input by os/exec.
func newXZCommand(path string, src io.Reader) (*xzCommand, error) {
	x := &xzCommand{cmd: exec.Command(path, "--decompress", "--stdout", "--quiet", "--no-warn")}
	x.cmd.Stdin = src
	x.cmd.Stderr = &x.stderr
	var err error
	if x.out, err = x.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if p, ok := x.out.(*os.File); ok {
		if conn, err := p.SyscallConn(); err == nil {
			// Best effort: a smaller pipe only means less read-ahead.
			conn.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, xzPipeSize) })
		}
	}
	if err := x.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return x, nil
}

// xzFile is a tarball file decoded by the system's xz: xz reads the file
// itself and runs ahead in its own process, so its output is read straight
// from the pipe, with no goroutine and no copy in between.
type xzFile struct {
	r    *bufio.Reader
	x    *xzCommand
	file *os.File // shares its offset with xz's input: FileProgress reads it
	name string

	closeOnce sync.Once
	closed    bool
	closeErr  error
}

// openXZFile starts xz on f (read from its start) and checks that a tar
// comes out.
func openXZFile(xz string, f *os.File, name string) (*xzFile, error) {
	x, err := newXZCommand(xz, f)
	if err != nil {
		return nil, err
	}
	s := &xzFile{r: bufio.NewReaderSize(x, 64<<10), x: x, file: f, name: name}
	head, err := s.r.Peek(tarBlockSize)
	if err != nil && !errors.Is(err, io.EOF) {
		x.release()
		return nil, decodeError(FormatXz, name, err)
	}
	if !isTar(head) {
		x.release()
		return nil, fmt.Errorf("open rootfs %q: %w", name, &formatError{what: "xz data does not hold a tar archive", first: head})
	}
	return s, nil
}

func (s *xzFile) Read(p []byte) (int, error) {
	if s.closed {
		return 0, fs.ErrClosed
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = decodeError(FormatXz, s.name, err)
	}
	return n, err
}

// Close stops xz (when not done) and closes the file; closing again does
// nothing.
func (s *xzFile) Close() error {
	s.closeOnce.Do(func() {
		s.closed = true
		s.x.release()
		s.closeErr = s.file.Close()
	})
	return s.closeErr
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
