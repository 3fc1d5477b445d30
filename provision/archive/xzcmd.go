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
	out    *xzOutput
	stderr bytes.Buffer
	once   sync.Once
	err    error
}

// xzPipeSize is how far xz may decode ahead of the reader (a pipe holds
// 64 KiB by default).
const xzPipeSize = 1 << 20

// newXZCommand starts xz on src; an *os.File is handed to xz itself,
// anything else is copied into xz's input by os/exec.
func newXZCommand(path string, src io.Reader) (*xzCommand, error) {
	x := &xzCommand{cmd: exec.Command(path, "--decompress", "--stdout", "--quiet", "--no-warn")}
	x.cmd.Stdin = src
	x.cmd.Stderr = &x.stderr
	out, theirs, err := newXZOutput()
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", path, err)
	}
	x.cmd.Stdout = theirs
	err = x.cmd.Start()
	theirs.Close() // xz holds its own copy
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	x.out = out
	return x, nil
}

// xzOutput is the reading end of a socket pair xz writes its output into.
// Not a pipe: xz decodes slower than the reader reads, so a pipe is empty at
// nearly every read, and each read then parks the goroutine and wakes it
// through the runtime's poller — for minbase some 28,000 epoll_pwait calls
// and 0.2 s of system time more than GNU tar's blocking reads (strace -f -c).
// On a stream socket one recv with MSG_WAITALL waits in the kernel until the
// whole buffer is filled (or xz ends): one syscall per buffer, whatever the
// size of xz's writes.
type xzOutput struct {
	fd     int
	closed bool
}

// newXZOutput makes the socket pair: ours to read (blocking), theirs for
// xz's standard output, with a send buffer of xzPipeSize so that xz runs
// ahead while the reader writes a file (SO_SNDBUFFORCE as root; otherwise
// what net.core.wmem_max allows).
func newXZOutput() (*xzOutput, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	if unix.SetsockoptInt(fds[1], unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, xzPipeSize) != nil {
		unix.SetsockoptInt(fds[1], unix.SOL_SOCKET, unix.SO_SNDBUF, xzPipeSize) // best effort
	}
	unix.Shutdown(fds[0], unix.SHUT_WR) // xz's output flows one way
	return &xzOutput{fd: fds[0]}, os.NewFile(uintptr(fds[1]), "xz output"), nil
}

// Read fills p, unless xz's output ends first; io.EOF once it has ended.
func (o *xzOutput) Read(p []byte) (int, error) {
	if o.closed {
		return 0, fs.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, _, err := unix.Recvfrom(o.fd, p, unix.MSG_WAITALL)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, fmt.Errorf("read xz's output: %w", err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Close closes the socket; closing again does nothing.
func (o *xzOutput) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	return unix.Close(o.fd)
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
		defer x.out.Close()
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
