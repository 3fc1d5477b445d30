package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thunder-lxc/thunder-lxc/internal/tally"
	"golang.org/x/sys/unix"
)

// readers are every way the tool reads a rootfs tarball: unpacking it,
// rewriting it into another tar stream (fakeroot sessions), indexing it
// (dry runs, image) and reading it entry by entry (image's output). Each
// must reject the same damaged tarballs.
var readers = []struct {
	name string
	read func(t *testing.T, path string) error
}{
	{"Extract", func(t *testing.T, path string) error {
		return readStream(path, func(r io.Reader) error {
			dest := filepath.Join(t.TempDir(), "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := Extract(context.Background(), r, dest, ExtractOptions{})
			return err
		})
	}},
	{"Rewrite", func(t *testing.T, path string) error {
		return readStream(path, func(r io.Reader) error {
			_, err := Rewrite(context.Background(), r, discardEntries{}, RewriteOptions{})
			return err
		})
	}},
	{"NewIndex", func(t *testing.T, path string) error {
		return readStream(path, func(r io.Reader) error {
			_, err := NewIndex(context.Background(), r, path, nil)
			return err
		})
	}},
	{"TarInput", func(t *testing.T, path string) error {
		in, err := OpenTarInput(path)
		if err != nil {
			return err
		}
		defer in.Close()
		for {
			if _, err := in.Next(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}},
}

// readStream hands the tarball's plain tar stream to read.
func readStream(path string, read func(io.Reader) error) error {
	rc, _, err := OpenTarball(path)
	if err != nil {
		return err
	}
	defer rc.Close()
	return read(rc)
}

// discardEntries is an EntryWriter that keeps nothing.
type discardEntries struct{}

func (discardEntries) WriteHeader(*tar.Header) error { return nil }
func (discardEntries) Write(p []byte) (int, error)   { return len(p), nil }

// Issue 11, item 1: a compressed tarball damaged where the tar reader does
// not look (content bytes, or the checksum trailer after the tar's end
// marker) decodes into a plausible tar. Only the decoder's checksum, read
// to the end of the stream, tells; every reader must reach it and fail.
func TestCorruptCompressedTarballRefused(t *testing.T) {
	needRoot(t)
	fx := newFixture(t)
	damages := []struct {
		name   string
		damage func(data []byte) // in place
	}{
		// The adversarial run's case: 16 bytes overwritten at 70%.
		{"16 bytes at 70%", func(data []byte) {
			at := len(data) * 7 / 10
			copy(data[at:], bytes.Repeat([]byte{0xA5}, 16))
		}},
		// Only the checksum after the data (gzip's CRC32 and length,
		// zstd's and lz4's content checksums, xz's index and footer,
		// bzip2's stream CRC): every tar byte decodes right.
		{"trailer", func(data []byte) { data[len(data)-6] ^= 0x01 }},
	}
	for _, pure := range []bool{false, true} {
		for _, c := range compressors {
			if pure && c.format != FormatXz {
				continue
			}
			for _, d := range damages {
				data, err := os.ReadFile(fx.files[c.format])
				if err != nil {
					t.Fatal(err)
				}
				d.damage(data)
				path := filepath.Join(t.TempDir(), "rootfs"+c.ext)
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				tally.Add(tally.HostileArchive, 1)
				name := fmt.Sprintf("%s/%s", c.format, d.name)
				if pure {
					name = "pure-go-" + name
				}
				for _, r := range readers {
					t.Run(name+"/"+r.name, func(t *testing.T) {
						if pure {
							withoutSystemXZ(t)
						}
						err := r.read(t, path)
						if err == nil {
							t.Fatalf("damaged %s tarball read without error", c.format)
						}
						if !strings.Contains(err.Error(), "truncated or corrupt") && !strings.Contains(err.Error(), "tar") {
							t.Errorf("error does not say what is wrong: %v", err)
						}
					})
				}
			}
		}
	}
}

// A plain tar cut short: archive/tar reads one cut at an entry boundary,
// or inside the padding after a PAX header's records, as a complete
// shorter archive. GNU tar stops silently at the first; this tool refuses
// both (a rootfs missing its last files is worse than no rootfs), accepts
// the lone zero block GNU tar accepts, and refuses anything but zeros
// after the end marker.
func TestPlainTarEndChecked(t *testing.T) {
	needRoot(t)
	good := newTar(t).file("a", "hello", withXattr("user.x", "y")).file("b", "world", withXattr("user.x", "y")).bytes()
	// Each member is a PAX header block, its records' block, a header and
	// one content block: b starts at 2048; the end marker at 4096.
	if len(good) != 5120 {
		t.Fatalf("fixture is %d bytes, want 5120", len(good))
	}
	withRecord := append(append([]byte{}, good...), make([]byte, 10240-len(good))...)
	joined := append(append([]byte{}, good...), good...)
	garbage := append(append([]byte{}, good...), []byte("trailing junk")...)
	cases := []struct {
		name string
		data []byte
		want error // nil: read completely
	}{
		{"complete", good, nil},
		{"zero record padding", withRecord, nil},
		{"one zero block", good[:4096+512], nil},
		{"cut at an entry boundary", good[:2048], ErrTruncated},
		{"cut before the end marker", good[:4096], ErrTruncated},
		{"cut inside a PAX header's records", good[:700], ErrTruncated},
		{"cut inside content padding", good[:1536+100], nil /* any error */},
		{"two archives joined", joined, ErrTrailingData},
		{"junk after the end marker", garbage, ErrTrailingData},
	}
	for _, c := range cases {
		if c.want != nil || c.name == "cut inside content padding" {
			tally.Add(tally.HostileArchive, 1)
		}
		path := filepath.Join(t.TempDir(), "rootfs.tar")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, r := range readers {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				err := r.read(t, path)
				switch {
				case c.name == "cut inside content padding":
					if err == nil {
						t.Fatal("a tar cut inside padding read without error")
					}
				case c.want == nil && err != nil:
					t.Fatalf("complete tar refused: %v", err)
				case c.want != nil && !errors.Is(err, c.want):
					t.Fatalf("err = %v, want %v", err, c.want)
				}
			})
		}
	}
}

// Bytes after the compressed stream: each decoder refuses them when read
// to the end, as the real tools do (gzip warns and exits 2, xz, zstd and
// lz4 fail), except xz's own stream padding (zeros in 4-byte groups),
// which the xz format allows.
func TestDataAfterCompressedStream(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(tarPath, newTar(t).file("etc/hostname", "box\n").bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range compressors {
		packed := compress(t, c.args, tarPath, filepath.Join(dir, "rootfs"+c.ext))
		data, err := os.ReadFile(packed)
		if err != nil {
			t.Fatal(err)
		}
		for _, tail := range []struct {
			name  string
			bytes []byte
			ok    bool
		}{
			{"text", []byte("garbage after the stream\n"), false},
			{"zeros", make([]byte, 1024), c.format == FormatXz},
		} {
			tally.Add(tally.HostileArchive, 1)
			path := filepath.Join(t.TempDir(), "rootfs"+c.ext)
			if err := os.WriteFile(path, append(append([]byte{}, data...), tail.bytes...), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, r := range readers {
				t.Run(fmt.Sprintf("%s/%s/%s", c.format, tail.name, r.name), func(t *testing.T) {
					err := r.read(t, path)
					if tail.ok && err != nil {
						t.Fatalf("err = %v, want none", err)
					}
					if !tail.ok && err == nil {
						t.Fatalf("%s data followed by %s read without error", c.format, tail.name)
					}
				})
			}
		}
	}
}

// A tarball streamed through a pipe whose writer stalls (half a tar, then
// nothing) does not hold a cancelled run: OpenTarballContext ends the read.
func TestStalledPipeStopsOnCancel(t *testing.T) {
	needRoot(t)
	for _, format := range []Format{FormatTar, FormatGzip} {
		t.Run(string(format), func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "rootfs.fifo")
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			data := newTar(t).file("big", strings.Repeat("x", 1<<20)).bytes()
			if format == FormatGzip {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(data)
				zw.Close()
				data = b.Bytes()
			}
			// The writer sends the first half and keeps the pipe open.
			stall := make(chan struct{})
			defer close(stall)
			go func() {
				f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer f.Close()
				f.Write(data[:len(data)/2])
				<-stall
			}()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				// The decoder waits for its first chunk, inside the open.
				rc, _, err := OpenTarballContext(ctx, fifo)
				if err != nil {
					done <- err
					return
				}
				defer rc.Close()
				_, err = Extract(ctx, rc, t.TempDir(), ExtractOptions{})
				done <- err
			}()
			time.Sleep(200 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("a cut stream extracted without error")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Extract still blocked on the pipe after the cancel")
			}
		})
	}
}
