package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// SourceStream is a rootfs tarball read as a stream: standard input
// ("-") or a FIFO (a named pipe, a shell's <(…)).
const SourceStream = "stream"

// A stream can be read once and has no size or time to fingerprint, so it
// is kept in a spool file while it is read, as it comes (compressed when it
// is): that file is then unpacked exactly as a tarball file is (a stream
// that ends early is a truncated file, refused the same way), later reads
// (a dry run's look for the arch, the containers of an apply file that
// need the source again) read the spool, and the fingerprint is the hash
// of the bytes. A rerun from a stream therefore reads the whole stream and
// changes nothing when its bytes, and the options, are the same as last
// time; other bytes are a changed source (force replaces the container).
type spooledStream struct {
	// file is the spool; sum the SHA-256 of its bytes.
	file, sum string
}

// isStream tells whether the source src is read as a stream: "-", or a
// path that stats as a named pipe (a pipe reached through /dev/fd too).
func isStream(src string) bool {
	if src == "-" {
		return true
	}
	info, err := os.Stat(src)
	return err == nil && info.Mode()&fs.ModeNamedPipe != 0
}

// spoolStream reads the stream src ("-": stdin, nil meaning the process's)
// into a spool file, hashing it on the way.
func spoolStream(ctx context.Context, src string, stdin io.Reader) (*spooledStream, error) {
	in := stdin
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, fieldErrorf("rootfs", src, "%w", err)
		}
		defer f.Close()
		// A writer that stalls must not hold a cancelled run: closing
		// the pipe ends the read.
		defer context.AfterFunc(ctx, func() { f.Close() })()
		in = f
	} else if in == nil {
		in = os.Stdin
	}
	f, err := os.CreateTemp("", "thunder-lxc-stream-*")
	if err != nil {
		return nil, fmt.Errorf("keep the rootfs stream %s in a temporary file: %w (set TMPDIR to a folder with room)", streamName(src), err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), readerWithContext{ctx, in})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("read the rootfs stream %s into %s: %w", streamName(src), f.Name(), err)
	}
	return &spooledStream{file: f.Name(), sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// Close removes the spool file.
func (s *spooledStream) Close() error { return os.Remove(s.file) }

// source is the stream as the plan's source, src its name.
func (s *spooledStream) source(src string) Source {
	return Source{Kind: SourceStream, Path: src, Fingerprint: hash("stream\x00" + s.sum), spool: s.file}
}

func streamName(src string) string {
	if src == "-" {
		return "on standard input"
	}
	return fmt.Sprintf("%q", src)
}

// readerWithContext stops reading once ctx is done (Ctrl-C while a pipe
// still delivers).
type readerWithContext struct {
	ctx context.Context
	r   io.Reader
}

func (r readerWithContext) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
