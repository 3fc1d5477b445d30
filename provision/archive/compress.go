package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// ErrNoEncoder is returned for a format the tool reads but cannot write.
var ErrNoEncoder = errors.New("no encoder for this format")

// Compress returns a writer that stores what is written to it in w in the
// given format; Close finishes the stream (and does not close w). Output is
// reproducible: the same input gives the same bytes, whatever the number of
// CPUs — gzip headers carry no name or time, and every encoder splits its
// input the same way however many threads it uses.
func Compress(w io.Writer, format Format) (io.WriteCloser, error) {
	switch format {
	case FormatTar:
		return nopWriteCloser{w}, nil
	case FormatGzip:
		// pgzip compresses 1 MiB blocks in parallel, each primed with the
		// previous block's tail: the blocks, not the threads, shape the
		// output.
		zw, err := pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
		if err != nil {
			return nil, err
		}
		if err := zw.SetConcurrency(1<<20, max(2, runtime.GOMAXPROCS(0))); err != nil {
			return nil, err
		}
		return zw, nil
	case FormatZstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	case FormatLz4:
		return lz4.NewWriter(w), nil
	case FormatXz:
		if path := systemXZ(); path != "" {
			return newXZEncoder(path, w)
		}
		return xz.NewWriter(w)
	}
	return nil, fmt.Errorf("%w: %s (write tar, gzip, zstd, xz or lz4)", ErrNoEncoder, format)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// xzEncoder compresses with the build host's xz: several times faster than
// the pure-Go encoder. -T0 makes xz 5.4 and later use its multi-threaded
// encoder even on one CPU, whose output depends on the block size only, so
// the same input gives the same file on any machine.
type xzEncoder struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr bytes.Buffer
}

func newXZEncoder(path string, w io.Writer) (*xzEncoder, error) {
	e := &xzEncoder{cmd: exec.Command(path, "--compress", "--stdout", "--quiet", "-6", "-T0")}
	e.cmd.Stdout = w
	e.cmd.Stderr = &e.stderr
	var err error
	if e.in, err = e.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return e, nil
}

func (e *xzEncoder) Write(p []byte) (int, error) {
	n, err := e.in.Write(p)
	if err != nil {
		return n, fmt.Errorf("xz: %w%s", err, e.said())
	}
	return n, nil
}

// Close ends xz's input and waits for it to write the rest.
func (e *xzEncoder) Close() error {
	e.in.Close()
	if err := e.cmd.Wait(); err != nil {
		return fmt.Errorf("xz: %w%s", err, e.said())
	}
	return nil
}

func (e *xzEncoder) said() string {
	if msg := strings.TrimSpace(e.stderr.String()); msg != "" {
		return ": " + msg
	}
	return ""
}

// FormatOfName is the format a file name asks for (".tar.gz" gzip, ".tar"
// plain...); ok is false for a name that names none.
func FormatOfName(name string) (f Format, ok bool) {
	for _, s := range []struct {
		suffix string
		format Format
	}{
		{".tar", FormatTar},
		{".tar.gz", FormatGzip}, {".tgz", FormatGzip},
		{".tar.zst", FormatZstd}, {".tzst", FormatZstd}, {".tar.zstd", FormatZstd},
		{".tar.xz", FormatXz}, {".txz", FormatXz},
		{".tar.lz4", FormatLz4},
		{".tar.bz2", FormatBzip2}, {".tbz2", FormatBzip2},
	} {
		if strings.HasSuffix(name, s.suffix) {
			return s.format, true
		}
	}
	return "", false
}
