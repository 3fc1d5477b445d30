package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// compressors are the real tools that produce each format, as a user's build
// would: the command reads the tar on stdin and writes to stdout.
var compressors = []struct {
	format Format
	ext    string
	args   []string
}{
	{FormatGzip, ".tar.gz", []string{"gzip", "-c"}},
	{FormatXz, ".tar.xz", []string{"xz", "-c"}},
	{FormatZstd, ".tar.zst", []string{"zstd", "-q", "-c"}},
	{FormatBzip2, ".tar.bz2", []string{"bzip2", "-c"}},
	{FormatLz4, ".tar.lz4", []string{"lz4", "-q", "-c"}},
}

// needTool skips the test when a system tool is missing; CI installs them.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("needs %s (apt-get install %s): %v", name, map[string]string{
			"xz": "xz-utils", "zstd": "zstd", "lz4": "lz4", "bzip2": "bzip2", "gzip": "gzip", "tar": "tar",
		}[name], err)
	}
}

// writeMixedTree fills dir with files a rootfs has: text, incompressible
// bytes, runs of zeros, a symlink and a sub folder. size is roughly the total.
func writeMixedTree(t testing.TB, dir string, size int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := strings.Fields("lxc container rootfs thunder plugin config mount bind idmap seccomp " +
		"init busybox library shared object kernel cgroup namespace device node")
	if err := os.MkdirAll(filepath.Join(dir, "etc", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	written := 0
	for i := 0; written < size; i++ {
		n := 1 + rng.IntN(min(512<<10, size))
		data := make([]byte, n)
		switch i % 4 {
		case 0: // text: compresses well
			var b bytes.Buffer
			for b.Len() < n {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(" \n"[rng.IntN(2)])
			}
			data = b.Bytes()[:n]
		case 1: // already compressed data: does not compress
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		case 2: // machine code-like: small alphabet with runs
			for j := 0; j < n; {
				run := 1 + rng.IntN(16)
				v := byte(rng.IntN(32))
				for k := 0; k < run && j < n; k++ {
					data[j] = v
					j++
				}
			}
		case 3: // zeros: padding, sparse tables
		}
		name := filepath.Join(dir, "etc", "sub", "f"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		written += n
	}
	if err := os.Symlink("/etc/sub/fa", filepath.Join(dir, "etc", "link")); err != nil {
		t.Fatal(err)
	}
}

// makeTar runs the real tar on dir and returns the archive's path.
func makeTar(t testing.TB, dir, out string, extra ...string) string {
	t.Helper()
	needTool(t, "tar")
	args := append([]string{"-c", "-f", out}, extra...)
	args = append(args, "-C", dir, ".")
	if msg, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
		t.Fatalf("tar %v: %v: %s", args, err, msg)
	}
	return out
}

// compress runs a real compressor on in and writes out.
func compress(t testing.TB, args []string, in, out string) string {
	t.Helper()
	needTool(t, args[0])
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = src, dst, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, stderr.String())
	}
	return out
}

// fixture is one plain tar and its compressed copies, made by real tools.
type fixture struct {
	dir   string
	plain []byte
	tar   string
	files map[Format]string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	// ~1.5 MiB: two bzip2 blocks (900 KiB), several pgzip blocks and
	// decoder chunks, yet quick to decode under the race detector.
	writeMixedTree(t, tree, 1536<<10, 1)
	fx := fixture{dir: dir, tar: makeTar(t, tree, filepath.Join(dir, "rootfs.tar")), files: map[Format]string{}}
	var err error
	if fx.plain, err = os.ReadFile(fx.tar); err != nil {
		t.Fatal(err)
	}
	for _, c := range compressors {
		fx.files[c.format] = compress(t, c.args, fx.tar, filepath.Join(dir, "rootfs"+c.ext))
	}
	return fx
}

// TestDecompress runs the tests that share one set of archives made by the
// real tools (making them is most of the time).
func TestDecompress(t *testing.T) {
	fx := newFixture(t)
	if systemXZ() == "" {
		t.Fatal("the xz tests need the system's xz too (package xz-utils)")
	}
	t.Run("PureGoXz", func(t *testing.T) {
		// The same real-tool, truncation and corruption cases for xz with
		// the pure-Go decoder, used where the system has no xz.
		withoutSystemXZ(t)
		testDecompressRealTools(t, fx)
		testTruncatedInput(t, fx)
		testCorruptInput(t, fx)
	})
	t.Run("RealTools", func(t *testing.T) { testDecompressRealTools(t, fx) })
	t.Run("MisleadingFileName", func(t *testing.T) { testMisleadingFileName(t, fx) })
	t.Run("Truncated", func(t *testing.T) { testTruncatedInput(t, fx) })
	t.Run("Corrupt", func(t *testing.T) { testCorruptInput(t, fx) })
	// Last: it counts goroutines, so nothing else may run beside it.
	t.Run("CloseMidStreamNoLeak", func(t *testing.T) { testCloseMidStreamNoLeak(t, fx) })
}

func readAllClose(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return got
}

func testDecompressRealTools(t *testing.T, fx fixture) {
	all := map[Format]string{FormatTar: fx.tar}
	for f, p := range fx.files {
		all[f] = p
	}
	for format, path := range all {
		t.Run(string(format), func(t *testing.T) {
			rc, got, err := OpenTarball(path)
			if err != nil {
				t.Fatalf("OpenTarball: %v", err)
			}
			if got != format {
				t.Errorf("OpenTarball format = %q, want %q", got, format)
			}
			if data := readAllClose(t, rc); !bytes.Equal(data, fx.plain) {
				t.Errorf("OpenTarball: %d bytes differ from the %d-byte plain tar", len(data), len(fx.plain))
			}

			// The same through Decompress on a plain io.Reader (no ReadAt, no
			// file): only the stream's first bytes decide.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rc, got, err = Decompress(struct{ io.Reader }{f})
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			if got != format {
				t.Errorf("Decompress format = %q, want %q", got, format)
			}
			if data := readAllClose(t, rc); !bytes.Equal(data, fx.plain) {
				t.Errorf("Decompress: %d bytes differ from the %d-byte plain tar", len(data), len(fx.plain))
			}
		})
	}
}

// Every header format GNU tar writes is recognised as a plain tar, including
// v7 (no magic: only the checksum) and an empty archive (zero blocks).
func TestPlainTarHeaderFormats(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	writeMixedTree(t, tree, 64<<10, 2)
	for _, format := range []string{"gnu", "oldgnu", "ustar", "posix", "v7"} {
		t.Run(format, func(t *testing.T) {
			path := makeTar(t, tree, filepath.Join(dir, format+".tar"), "--format="+format)
			rc, got, err := OpenTarball(path)
			if err != nil {
				t.Fatalf("OpenTarball: %v", err)
			}
			rc.Close()
			if got != FormatTar {
				t.Errorf("format = %q, want tar", got)
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		path := filepath.Join(dir, "empty.tar")
		if msg, err := exec.Command("tar", "-c", "-f", path, "-T", "/dev/null").CombinedOutput(); err != nil {
			t.Fatalf("tar: %v: %s", err, msg)
		}
		rc, got, err := OpenTarball(path)
		if err != nil {
			t.Fatalf("OpenTarball: %v", err)
		}
		rc.Close()
		if got != FormatTar {
			t.Errorf("format = %q, want tar", got)
		}
	})
}

// A tar whose first entry is named like a bzip2 header is still a tar: the
// tar checksum is checked before the 4-byte bzip2 magic.
func TestTarNamedLikeBzip2(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "BZh91AY&SY"), []byte("not bzip2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bzh.tar")
	if msg, err := exec.Command("tar", "-c", "-f", path, "-C", tree, "BZh91AY&SY").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, msg)
	}
	head, _ := os.ReadFile(path)
	if !bytes.HasPrefix(head, []byte("BZh9")) {
		t.Fatalf("fixture does not start with BZh9: %q", head[:8])
	}
	rc, got, err := OpenTarball(path)
	if err != nil {
		t.Fatalf("OpenTarball: %v", err)
	}
	rc.Close()
	if got != FormatTar {
		t.Errorf("format = %q, want tar", got)
	}
}

// The file name never decides: gzip data named .tar.xz, xz named .tar, zstd
// named .tar.gz all decode by their magic bytes.
func testMisleadingFileName(t *testing.T, fx fixture) {
	cases := []struct {
		format Format
		name   string
	}{
		{FormatGzip, "rootfs.tar.xz"},
		{FormatXz, "rootfs.tar"},
		{FormatZstd, "rootfs.tar.gz"},
		{FormatBzip2, "rootfs.tgz"},
		{FormatLz4, "rootfs.tar.bz2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.name)
			data, err := os.ReadFile(fx.files[c.format])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			rc, got, err := OpenTarball(path)
			if err != nil {
				t.Fatalf("OpenTarball: %v", err)
			}
			if got != c.format {
				t.Errorf("format = %q, want %q", got, c.format)
			}
			if data := readAllClose(t, rc); !bytes.Equal(data, fx.plain) {
				t.Errorf("decoded data differs from the plain tar")
			}
		})
	}
}

// Truncated compressed data must fail loudly: a rootfs cut short by a full
// disk or a broken download would otherwise be unpacked half-way, silently.
func testTruncatedInput(t *testing.T, fx fixture) {
	for _, c := range compressors {
		data, err := os.ReadFile(fx.files[c.format])
		if err != nil {
			t.Fatal(err)
		}
		// Cut in the middle, near the end (inside the last block or the
		// trailer) and by one byte.
		for _, cut := range []int{len(data) / 2, len(data) - 100, len(data) - 1} {
			t.Run(fmt.Sprintf("%s/cut%dof%d", c.format, cut, len(data)), func(t *testing.T) {
				rc, _, err := Decompress(bytes.NewReader(data[:cut]))
				if err == nil {
					// The first tar block decoded: the cut must show up in Read.
					defer rc.Close()
					_, err = io.Copy(io.Discard, rc)
				} // else the cut fell in the first compressed block (lz4 blocks are 4 MiB)
				if err == nil {
					t.Fatalf("reading %d of %d bytes of %s data gave no error", cut, len(data), c.format)
				}
				if !strings.Contains(err.Error(), "truncated or corrupt") {
					t.Errorf("error does not say what is wrong: %v", err)
				}
			})
		}
	}
	// A stream cut inside its first tar block fails in Decompress itself.
	t.Run("header", func(t *testing.T) {
		data, _ := os.ReadFile(fx.files[FormatXz])
		_, _, err := Decompress(bytes.NewReader(data[:40]))
		if err == nil {
			t.Fatal("no error for xz data cut after 40 bytes")
		}
	})
}

// Corrupt (not truncated) data: a flipped byte in the middle must be caught
// by the format's checksum, not decoded into a wrong rootfs.
func testCorruptInput(t *testing.T, fx fixture) {
	for _, c := range compressors {
		t.Run(string(c.format), func(t *testing.T) {
			data, err := os.ReadFile(fx.files[c.format])
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x55
			rc, _, err := Decompress(bytes.NewReader(data))
			if err != nil {
				return // caught early: fine
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil {
				same := bytes.Equal(got, fx.plain)
				t.Fatalf("corrupt %s data decoded without error (output equal to original: %v)", c.format, same)
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	cases := map[string][]byte{
		"random": random,
		"zip":    append([]byte("PK\x03\x04\x14\x00\x00\x00"), make([]byte, 600)...),
		"short":  []byte("hello\n"),
		"empty":  {},
		"text":   bytes.Repeat([]byte("just some text, no tar here\n"), 40),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Decompress(bytes.NewReader(data))
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("Decompress err = %v, want ErrUnknownFormat", err)
			}
			path := filepath.Join(t.TempDir(), "rootfs.tar.gz")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err = OpenTarball(path)
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("OpenTarball err = %v, want ErrUnknownFormat", err)
			}
			msg := err.Error()
			for _, want := range []string{`open rootfs "` + path + `"`, "not a tar archive", "give a tar, tar.gz"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if len(data) > 0 && !strings.Contains(msg, "first bytes") {
				t.Errorf("error %q does not show the first bytes", msg)
			}
		})
	}
}

// A compressed file that is not a tar (a gzipped text file, a compressed
// disk image) is refused with the compression named.
func TestCompressedNonTar(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, bytes.Repeat([]byte("plain text, not an archive\n"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range compressors {
		t.Run(string(c.format), func(t *testing.T) {
			path := compress(t, c.args, text, filepath.Join(dir, "notes"+c.ext))
			_, _, err := OpenTarball(path)
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("err = %v, want ErrUnknownFormat", err)
			}
			want := string(c.format) + " data does not hold a tar archive"
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q lacks %q or the file name", err, want)
			}
		})
	}
}

func TestOpenTarballMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.tar.xz")
	_, _, err := OpenTarball(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

// Closing mid-stream stops the decoder goroutine (and the decoders' own
// goroutines: pgzip's read-ahead, zstd's block decoders) every time.
func testCloseMidStreamNoLeak(t *testing.T, fx fixture) {
	before := runtime.NumGoroutine()
	for range 4 {
		for _, c := range compressors {
			rc, _, err := OpenTarball(fx.files[c.format])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyN(io.Discard, rc, 100<<10); err != nil {
				t.Fatalf("%s: %v", c.format, err)
			}
			if err := rc.Close(); err != nil {
				t.Fatalf("%s close: %v", c.format, err)
			}
			if _, err := rc.Read(make([]byte, 10)); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("%s: Read after Close = %v, want fs.ErrClosed", c.format, err)
			}
			if err := rc.Close(); err != nil {
				t.Errorf("%s: second Close: %v", c.format, err)
			}
		}
	}
	// Some library goroutines finish just after Close returns; give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after 20 closed streams:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// The decoder runs ahead of the consumer, but only by a bounded amount: a
// consumer that stops reading does not make the whole file pile up in memory.
func TestBoundedReadAhead(t *testing.T) {
	// More data than the decoder may run ahead (chunkCount × chunkSize).
	dir := t.TempDir()
	writeMixedTree(t, filepath.Join(dir, "tree"), 2*chunkCount*chunkSize, 5)
	tarPath := makeTar(t, filepath.Join(dir, "tree"), filepath.Join(dir, "big.tar"))
	lz4Path := compress(t, []string{"lz4", "-q", "-c"}, tarPath, filepath.Join(dir, "big.tar.lz4"))
	rc, _, err := OpenTarball(lz4Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	a := rc.(*asyncReader)
	if _, err := rc.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// Give the decoder time to fill every chunk, then check it stopped there
	// (the last free chunk is taken before it is filled: wait for both).
	deadline := time.Now().Add(2 * time.Second)
	for (len(a.free) > 0 || len(a.filled) < chunkCount-1) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(a.free) != 0 || len(a.filled) != chunkCount-1 {
		t.Errorf("free %d, filled %d: want 0 free and %d filled (one chunk being read)", len(a.free), len(a.filled), chunkCount-1)
	}
}

// A named pipe (a tarball streamed in by another process) cannot be read at
// an offset; it is decoded as a stream.
func TestOpenTarballFIFO(t *testing.T) {
	needTool(t, "mkfifo")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	writeMixedTree(t, tree, 256<<10, 6)
	tarPath := makeTar(t, tree, filepath.Join(dir, "rootfs.tar"))
	xzPath := compress(t, []string{"xz", "-c"}, tarPath, filepath.Join(dir, "rootfs.tar.xz"))
	fifo := filepath.Join(dir, "fifo")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v: %s", err, out)
	}
	feeder := exec.Command("sh", "-c", `cat "$1" > "$2"`, "sh", xzPath, fifo)
	if err := feeder.Start(); err != nil {
		t.Fatal(err)
	}
	defer feeder.Wait()
	rc, format, err := OpenTarball(fifo)
	if err != nil {
		t.Fatalf("OpenTarball: %v", err)
	}
	if format != FormatXz {
		t.Errorf("format = %q, want xz", format)
	}
	want, _ := os.ReadFile(tarPath)
	if got := readAllClose(t, rc); !bytes.Equal(got, want) {
		t.Errorf("decoded %d bytes differ from the %d-byte tar", len(got), len(want))
	}
	if _, _, err := OpenTarball(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("OpenTarball(folder) err = %v, want \"is a folder\"", err)
	}
}

// withoutSystemXZ makes the decoder fall back to pure Go for one test.
func withoutSystemXZ(t testing.TB) {
	saved := systemXZ
	systemXZ = func() string { return "" }
	t.Cleanup(func() { systemXZ = saved })
}
