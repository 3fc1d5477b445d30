package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tarStepper is what headerParser and tar.Reader have in common.
type tarStepper interface {
	Next() (*tar.Header, error)
	Read([]byte) (int, error)
}

// countedStream serves an archive's bytes and knows how far it was read.
type countedStream struct {
	data []byte
	pos  int64
}

func (s *countedStream) Read(p []byte) (int, error) {
	if s.pos >= int64(len(s.data)) {
		return 0, io.EOF
	}
	n := copy(p, s.data[s.pos:])
	s.pos += int64(n)
	return n, nil
}

// seekableStream can also seek, as a plain tar file can.
type seekableStream struct{ *countedStream }

func (s seekableStream) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += int64(len(s.data))
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek before the start")
	}
	s.pos = offset
	return offset, nil
}

// readTranscript reads data with the reader newReader makes and writes
// down every step: each header in full, each error, each entry's content
// (read for the entries readContent picks, passed over for the others) and
// where in the stream each step left off.
func readTranscript(newReader func(io.Reader) tarStepper, data []byte, seekable bool, readContent func(i int) bool) []string {
	stream := &countedStream{data: data}
	var r io.Reader = stream
	if seekable {
		r = seekableStream{stream}
	}
	tr := newReader(r)
	var steps []string
	buf := make([]byte, 1000) // not a block multiple: reads end mid-block
	for i := 0; i < 2000; i++ {
		hdr, err := tr.Next()
		steps = append(steps, fmt.Sprintf("next %d: %#v, error %v, at %d", i, hdr, err, stream.pos))
		if err != nil {
			break
		}
		if readContent(i) {
			// At most 64 KiB: a sparse entry can claim exabytes of holes.
			sum := crc32.NewIEEE()
			n, err := io.CopyBuffer(sum, io.LimitReader(tr, 64<<10), buf)
			steps = append(steps, fmt.Sprintf("content %d: %d bytes %x, error %v, at %d", i, n, sum.Sum(nil), err, stream.pos))
		}
	}
	n, err := tr.Read(buf)
	return append(steps, fmt.Sprintf("read after the end: %d, error %v", n, err))
}

func fastParser(r io.Reader) tarStepper       { return newHeaderParser(r) }
func archiveTarReader(r io.Reader) tarStepper { return tar.NewReader(r) }

// compareWithArchiveTar fails when headerParser and tar.Reader read data
// differently, seekable or not, content read or passed over: all four
// ways, or (quick) two of them.
func compareWithArchiveTar(t *testing.T, what string, data []byte, quick bool) {
	t.Helper()
	patterns := []func(int) bool{
		func(int) bool { return true },
		func(i int) bool { return i%2 == 1 },
	}
	for _, seekable := range []bool{false, true} {
		for p, readContent := range patterns {
			if quick && (p == 0) == seekable {
				continue // quick: everything read from a stream, every other entry from a file
			}
			want := readTranscript(archiveTarReader, data, seekable, readContent)
			got := readTranscript(fastParser, data, seekable, readContent)
			if diff := firstDifference(want, got); diff != "" {
				t.Fatalf("%s (seekable %v, content pattern %d): headerParser differs from archive/tar:\n%s", what, seekable, p, diff)
			}
		}
	}
}

func firstDifference(want, got []string) string {
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return fmt.Sprintf("archive/tar:  %s\nheaderParser: %s", w, g)
		}
	}
	return ""
}

// TestHeaderParserEqualsArchiveTar reads archives written by GNU tar and
// bsdtar in every format they write, and by Go's tar.Writer, then thousands
// of mutations of them (header bytes changed with the checksum made right
// again, type flags swapped, PAX records damaged, streams cut), with both
// headerParser and archive/tar, and wants the same headers, contents,
// errors and stream positions. It also checks that the common archives are
// parsed by headerParser itself, not handed over at their first entry.
func TestHeaderParserEqualsArchiveTar(t *testing.T) {
	t.Parallel()
	needTools(t, "tar", "bsdtar")
	seeds := headerParserSeeds(t)
	for _, seed := range seeds {
		compareWithArchiveTar(t, seed.name, seed.data, false)
	}
	for _, name := range []string{"GNU tar, default format", "GNU tar --format=posix", "bsdtar, default format", "Go PAX"} {
		seed := findSeed(t, seeds, name)
		p := newHeaderParser(bytes.NewReader(seed))
		entries := 0
		// The end-of-archive zeros are handed over: every entry before them
		// must be parsed here.
		for {
			_, err := p.Next()
			if p.slow != nil {
				if err != io.EOF {
					t.Errorf("%s: headerParser handed over after %d entries, not at the end of the archive (%v)", name, entries, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			entries++
		}
		if entries < 10 {
			t.Errorf("%s: headerParser parsed only %d entries itself", name, entries)
		}
	}

	rng := rand.New(rand.NewPCG(8, 2026))
	mutations := 0
	for _, seed := range seeds {
		for range 100 {
			mutated := mutateArchive(rng, seed.data)
			compareWithArchiveTar(t, seed.name+" mutated", mutated, true)
			mutations++
		}
	}
	t.Logf("%d archives, %d mutations: headerParser reads each as archive/tar does", len(seeds), mutations)
}

// FuzzHeaderParser compares headerParser with archive/tar on any bytes.
func FuzzHeaderParser(f *testing.F) {
	f.Add(newTar(f).dir("etc/").file("etc/hostname", "box\n").symlink("bin/sh", "busybox").bytes())
	f.Add(newTar(f).file(strings.Repeat("long/", 40)+"name", "x", withXattr("user.k", "v")).hardlink("b", strings.Repeat("l", 200)).bytes())
	f.Add(newTar(f).file("g", "content", withFormat(tar.FormatGNU), withOwner(1<<22, 5)).bytes())
	f.Add(rawPAX(map[string]string{"mtime": "1700000000.123456789123", "uid": "7", "SCHILY.xattr.user.a": "b"}, rawHeader("x", tar.TypeReg, 0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithArchiveTar(t, "fuzz input", data, false)
	})
}

type namedArchive struct {
	name string
	data []byte
}

func findSeed(t *testing.T, seeds []namedArchive, name string) []byte {
	for _, s := range seeds {
		if s.name == name {
			return s.data
		}
	}
	t.Fatalf("no seed archive %q", name)
	return nil
}

// headerParserSeeds writes one small tree with every kind of entry and
// every name and number that changes how a header is written (long names
// and link targets, a name that only fits with the ustar prefix, non-ASCII
// names, large IDs, times before 1970 and with nanoseconds, xattrs, sparse
// files, devices when root) in every format GNU tar and bsdtar write, and
// adds archives from Go's tar.Writer.
func headerParserSeeds(t *testing.T) []namedArchive {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	write := func(name, content string) {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/hostname", "box\n")
	write("usr/lib/"+strings.Repeat("x", 120), strings.Repeat("a", 700))
	write(strings.Repeat("deep/", 30)+"file", "deep")
	write(strings.Repeat("p", 90)+"/"+strings.Repeat("n", 90), "prefix")
	write("grüße/straße", "non-ASCII")
	write("empty", "")
	write("bin/busybox", strings.Repeat("\x7fELF", 3000))
	for i := range 8 {
		write(fmt.Sprintf("usr/share/doc/f%d", i), strings.Repeat("d", i*300))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("busybox", filepath.Join(src, "bin/sh")))
	must(os.Symlink(strings.Repeat("../", 40)+"etc/hostname", filepath.Join(src, "longlink")))
	must(os.Link(filepath.Join(src, "bin/busybox"), filepath.Join(src, "bin/ls")))
	must(os.Chmod(filepath.Join(src, "bin/busybox"), 0o4755))
	must(os.Mkdir(filepath.Join(src, "tmp"), 0o1777))
	must(os.Chmod(filepath.Join(src, "tmp"), 0o1777))
	sparse, err := os.Create(filepath.Join(src, "disk.img"))
	must(err)
	_, err = sparse.WriteAt([]byte("data"), 64<<10)
	must(err)
	must(sparse.Close())
	must(os.Chtimes(filepath.Join(src, "etc/hostname"), time.Unix(1, 0), time.Date(1960, 1, 2, 3, 4, 5, 0, time.UTC)))
	must(os.Chtimes(filepath.Join(src, "empty"), time.Now(), time.Unix(1700000000, 123456789)))
	if exec.Command("setfattr", "-n", "user.thunder", "-v", "lxc", filepath.Join(src, "etc/hostname")).Run() != nil {
		t.Log("no user xattrs on this filesystem: the seed archives carry none")
	}
	if os.Geteuid() == 0 {
		must(exec.Command("mknod", filepath.Join(src, "null"), "c", "1", "3").Run())
		must(exec.Command("mkfifo", filepath.Join(src, "fifo")).Run())
		must(os.Lchown(filepath.Join(src, "bin/sh"), 70000, 70000))
	}

	var seeds []namedArchive
	run := func(name string, args ...string) {
		out := filepath.Join(tmp, fmt.Sprintf("seed%d.tar", len(seeds)))
		args = append(args, "-f", out, "-C", src, ".")
		if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, b)
		}
		data, err := os.ReadFile(out)
		must(err)
		seeds = append(seeds, namedArchive{name, data})
	}
	for _, format := range []string{"gnu", "oldgnu", "posix", "ustar", "v7"} {
		args := []string{"tar", "--format=" + format, "-c", "--numeric-owner", "--owner=2100000", "--group=0"}
		if format == "gnu" || format == "posix" {
			args = append(args, "--xattrs")
		}
		if format == "ustar" || format == "v7" {
			// What those formats cannot hold is left out rather than failing
			// the archive.
			args = append(args, "--owner=0", "--exclude=deep", "--exclude=longlink", "--exclude=usr/lib",
				"--exclude=disk.img", "--exclude=etc/hostname", "--exclude=grüße", "--exclude=pppp*")
		}
		if format == "v7" {
			args = append(args, "--exclude=null", "--exclude=fifo")
		}
		run("GNU tar --format="+format, args...)
	}
	// How rootfs tarballs are made: the default format, no ID too large
	// for octal, no time before 1970, no sparse file (bsdtar stores one
	// sparse on its own).
	run("GNU tar, default format", "tar", "-c", "--xattrs", "--numeric-owner", "--exclude=etc/hostname")
	run("bsdtar, default format", "bsdtar", "-c", "--exclude", "etc/hostname", "--exclude", "disk.img")
	run("GNU tar --format=gnu --sparse", "tar", "--format=gnu", "--sparse", "-c")
	run("GNU tar --format=posix --sparse", "tar", "--format=posix", "--sparse", "-c")
	run("GNU tar --format=posix --sparse-version=0.1", "tar", "--format=posix", "--sparse", "--sparse-version=0.1", "-c")
	for _, format := range []string{"pax", "ustar", "gnutar", "v7", "paxr"} {
		args := []string{"bsdtar", "--format", format, "-c"}
		if format == "ustar" || format == "v7" {
			args = append(args, "--exclude", "deep", "--exclude", "longlink", "--exclude", "usr/lib")
		}
		run("bsdtar --format="+format, args...)
	}

	for _, format := range []tar.Format{tar.FormatPAX, tar.FormatGNU, tar.FormatUSTAR} {
		b := newTar(t)
		b.dir("etc/", withFormat(format))
		for i := range 12 {
			b.file(fmt.Sprintf("etc/f%d", i), strings.Repeat("c", i*100), withFormat(format), withMode(0o600+int64(i)))
		}
		b.symlink("bin/sh", "busybox", withFormat(format))
		b.device(tar.TypeChar, "dev/null", 1, 3, withFormat(format))
		if format != tar.FormatUSTAR {
			b.file(strings.Repeat("n", 150), "long", withFormat(format), withOwner(3000000, 5))
			b.file("when", "", withFormat(format), withMtime(time.Unix(-100, 0)))
		}
		if format == tar.FormatPAX {
			b.file("nano", "", withFormat(format), withMtime(time.Unix(1700000000, 5)), withXattr("user.a", "b"))
		}
		seeds = append(seeds, namedArchive{"Go " + strings.TrimPrefix(format.String(), "Format"), b.bytes()})
	}
	return seeds
}

// mutateArchive changes an archive in one of the ways that reach the
// parser's corners rather than its checksum test.
func mutateArchive(rng *rand.Rand, data []byte) []byte {
	out := bytes.Clone(data)
	blocks := len(out) / tarBlockSize
	if blocks == 0 {
		return out
	}
	headers := []int{}
	for b := range blocks {
		if string(out[b*tarBlockSize+offMagic:b*tarBlockSize+offMagic+5]) == "ustar" {
			headers = append(headers, b)
		}
	}
	interesting := []byte{'0', '7', '8', ' ', 0, 0x80, 0xff, '/', '.', '\n', '=', 'x', 'g', 'L', 'K', 'S', '5', '1', '2'}
	pick := func() byte {
		if rng.IntN(3) == 0 {
			return byte(rng.IntN(256))
		}
		return interesting[rng.IntN(len(interesting))]
	}
	switch kind := rng.IntN(6); {
	case kind <= 2 && len(headers) > 0: // a header byte, checksum made right
		h := headers[rng.IntN(len(headers))] * tarBlockSize
		for range 1 + rng.IntN(3) {
			at := rng.IntN(tarBlockSize)
			if kind == 1 {
				at = offType
			}
			out[h+at] = pick()
		}
		fixChecksum(out[h : h+tarBlockSize])
	case kind == 3: // any byte: PAX records, long names, content
		for range 1 + rng.IntN(4) {
			out[rng.IntN(len(out))] = pick()
		}
	case kind == 4: // cut short
		return out[:rng.IntN(len(out))]
	default: // a header's number field replaced, checksum made right
		if len(headers) == 0 {
			return out
		}
		h := headers[rng.IntN(len(headers))] * tarBlockSize
		fields := []struct{ off, width int }{{offMode, 8}, {offUID, 8}, {offGID, 8}, {offSize, 12}, {offMtime, 12}, {offDevmajor, 8}, {offDevminor, 8}}
		f := fields[rng.IntN(len(fields))]
		values := []string{"", " 17 ", "0000000", "00000000", "\x00\x00\x0012", "12\x0034", "+1", "-1", "9", strings.Repeat("7", f.width)}
		field := out[h+f.off : h+f.off+f.width]
		clear(field)
		if rng.IntN(4) == 0 {
			field[0] = 0x80 | byte(rng.IntN(0x80)) // base-256
			field[f.width-1] = byte(rng.IntN(256))
		} else {
			copy(field, values[rng.IntN(len(values))])
		}
		fixChecksum(out[h : h+tarBlockSize])
	}
	return out
}

// fixChecksum writes a header block's checksum for its bytes.
func fixChecksum(blk []byte) {
	copy(blk[offChksum:offChksum+8], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[offChksum:offChksum+8], fmt.Sprintf("%06o\x00 ", sum))
}

// TestHeaderParserHonoursTarInsecurePath: with GODEBUG=tarinsecurepath=0
// archive/tar returns ErrInsecurePath with a non-local name, and so does
// headerParser, reading as archive/tar does.
func TestHeaderParserHonoursTarInsecurePath(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	data := newTar(t).file("etc/hostname", "box\n").file("../victim", "x").file("/abs", "y").bytes()
	compareWithArchiveTar(t, "non-local names under tarinsecurepath=0", data, false)
	p := newHeaderParser(bytes.NewReader(data))
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Next(); !errors.Is(err, tar.ErrInsecurePath) {
		t.Errorf("../victim under tarinsecurepath=0: %v, want %v", err, tar.ErrInsecurePath)
	}
}
