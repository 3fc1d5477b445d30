package archive

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
)

// benchCacheVersion names the cached benchmark archives; change it when
// writeMixedTree or the compressor list changes.
const benchCacheVersion = "decompress-bench-v1"

// benchArchives returns a ~64 MiB tar of mixed data and its compressed
// copies, made by the real tools. Compressing 64 MiB with xz and bzip2 takes
// a minute, so the files are kept in the user cache folder and reused: their
// content is deterministic (fixed seed).
func benchArchives(b *testing.B) (plain string, files map[Format]string) {
	b.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(cache, "thunder-lxc", benchCacheVersion)
	files = map[Format]string{FormatTar: filepath.Join(dir, "rootfs.tar")}
	for _, c := range compressors {
		files[c.format] = filepath.Join(dir, "rootfs"+c.ext)
	}
	if _, err := os.Stat(dir); err == nil {
		return files[FormatTar], files
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.Fatal(err)
	}

	b.Logf("making the benchmark archives in %s (once)", dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		b.Fatal(err)
	}
	// Build beside the cache folder and rename it into place, so an
	// interrupted run never leaves a partial cache behind.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-"+benchCacheVersion)
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	writeMixedTree(b, tree, 64<<20, 42)
	tarPath := makeTar(b, tree, filepath.Join(tmp, "rootfs.tar"))
	if err := os.RemoveAll(tree); err != nil {
		b.Fatal(err)
	}
	for _, c := range compressors {
		compress(b, c.args, tarPath, filepath.Join(tmp, "rootfs"+c.ext))
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	return files[FormatTar], files
}

func fileSize(b *testing.B, path string) int64 {
	b.Helper()
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return info.Size()
}

// decodeAll is one benchmark iteration: open, decode to the end, close.
func decodeAll(b *testing.B, path string) {
	rc, _, err := OpenTarball(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		b.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDecompress measures decode throughput per format; MB/s counts
// bytes of plain tar produced.
func BenchmarkDecompress(b *testing.B) {
	plain, files := benchArchives(b)
	size := fileSize(b, plain)
	for _, format := range []Format{FormatTar, FormatGzip, FormatXz, FormatZstd, FormatBzip2, FormatLz4} {
		b.Run(string(format), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				decodeAll(b, files[format])
			}
			// After the loop: b.Loop's first call drops metrics reported before.
			b.ReportMetric(float64(fileSize(b, files[format]))/float64(size), "ratio")
		})
	}
}

// BenchmarkXzPureGoVsSystem compares ulikunitz/xz with the system's xz on the
// same file (ARCHITECTURE.md asks for the measure before settling on pure Go).
func BenchmarkXzPureGoVsSystem(b *testing.B) {
	plain, files := benchArchives(b)
	size := fileSize(b, plain)
	b.Run("pure-go", func(b *testing.B) {
		withoutSystemXZ(b)
		b.SetBytes(size)
		for b.Loop() {
			decodeAll(b, files[FormatXz])
		}
	})
	for _, args := range [][]string{{"xz", "-dc"}, {"xz", "-T0", "-dc"}} {
		name := "system-" + args[0]
		if len(args) == 3 {
			name += args[1]
		}
		b.Run(name, func(b *testing.B) {
			needTool(b, "xz")
			b.SetBytes(size)
			for b.Loop() {
				runDecoder(b, size, args[0], append(args[1:], files[FormatXz])...)
			}
		})
	}
}

// BenchmarkGzipDecoders compares the gzip decoders Go offers with pigz
// on the same file, decoding only: pgzip (inflates in a goroutine of its
// own, ahead of the reader), klauspost/compress/gzip (the faster inflate,
// in the reader's goroutine), the standard library's, and `pigz -dc`
// (which, like every gzip decoder, inflates on one core: its threads
// only read, write and check).
func BenchmarkGzipDecoders(b *testing.B) {
	plain, files := benchArchives(b)
	size := fileSize(b, plain)
	decoders := []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"pgzip", func(r io.Reader) (io.Reader, error) { return pgzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
		{"stdlib", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(size)
			cpu0 := cpuTime(b)
			for b.Loop() {
				f, err := os.Open(files[FormatGzip])
				if err != nil {
					b.Fatal(err)
				}
				zr, err := d.open(bufio.NewReaderSize(f, 256<<10))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, zr); err != nil || n != size {
					b.Fatalf("%d bytes, %v", n, err)
				}
				f.Close()
			}
			b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
	b.Run("pigz", func(b *testing.B) {
		needTool(b, "pigz")
		b.SetBytes(size)
		var cpu time.Duration
		for b.Loop() {
			cpu += runDecoder(b, size, "pigz", "-dc", files[FormatGzip])
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// runDecoder runs a decoding command, wants size bytes out of it, and
// returns the CPU time it took.
func runDecoder(b *testing.B, size int64, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, out)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil || n != size {
		b.Fatalf("%s gave %d bytes (want %d): %v", name, n, size, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
