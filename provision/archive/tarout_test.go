package archive

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyTarball copies every entry of in to out through TarInput and TarOut,
// raw where the input allows it.
func copyTarball(t *testing.T, in string, out io.Writer, file *os.File) {
	t.Helper()
	src, err := OpenTarInput(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	o := NewTarOut(out, file)
	for {
		hdr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f, off, n, ok := src.Raw(); ok {
			err = o.RawRange(f, off, n)
		} else {
			if err = o.WriteHeader(hdr); err == nil {
				_, err = io.Copy(o, src.Body())
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", hdr.Name, err)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
}

// A GNU tar archive with what makes raw copying hard — long names, a long
// link target, a sparse file, PAX xattr records, a hardlink — copies to a
// plain file byte for byte (the kernel copying), and through a compressor
// (where entries are written again) to the same listing.
func TestTarOutCopiesEntriesUnchanged(t *testing.T) {
	needTools(t, "tar")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	long := filepath.Join(src, strings.Repeat("folder-with-a-long-name/", 6))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(long, "file"), bytes.Repeat([]byte("x"), 70000), 0o644))
	must(os.Symlink(strings.Repeat("target/", 30), filepath.Join(src, "long-link")))
	must(os.Link(filepath.Join(long, "file"), filepath.Join(src, "hardlink")))
	must(os.WriteFile(filepath.Join(src, "small"), []byte("s"), 0o600))
	for _, format := range []string{"gnu", "posix", "gnu-sparse", "posix-sparse"} {
		if format == "gnu-sparse" {
			// Sparse content is handed out whole, so written whole: the
			// copy then lists the same, but is not the same bytes.
			sparse, err := os.Create(filepath.Join(src, "sparse"))
			must(err)
			must(sparse.Truncate(8 << 20))
			_, err = sparse.WriteAt([]byte("data in the middle"), 4<<20)
			must(err)
			must(sparse.Close())
		}
		isSparse := strings.HasSuffix(format, "-sparse")
		format := strings.TrimSuffix(format, "-sparse")
		in := filepath.Join(dir, format+fmt.Sprint(isSparse)+".tar")
		args := []string{"--format=" + format, "--sparse", "--numeric-owner", "-C", src, "-cf", in, "."}
		if format == "posix" {
			args = append([]string{"--xattrs"}, args...)
		}
		if out, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		inBytes, err := os.ReadFile(in)
		must(err)

		outPath := filepath.Join(dir, format+fmt.Sprint(isSparse)+"-copy.tar")
		f, err := os.Create(outPath)
		must(err)
		copyTarball(t, in, f, f)
		must(f.Close())
		outBytes, err := os.ReadFile(outPath)
		must(err)
		entries := len(outBytes) - 2*tarBlockSize
		switch {
		case isSparse:
			if a, b := listing(t, in), listing(t, outPath); a != b {
				t.Errorf("%s: the copy lists otherwise:\n%s\n---\n%s", format, a, b)
			}
		case entries <= 0 || entries > len(inBytes) || !bytes.Equal(outBytes[:entries], inBytes[:entries]) ||
			bytes.Count(inBytes[entries:], []byte{0}) != len(inBytes)-entries:
			t.Errorf("%s: the copy's entries differ from the input's", format)
		}

		var compressed bytes.Buffer
		zw, err := Compress(&compressed, FormatGzip)
		must(err)
		copyTarball(t, in, zw, nil)
		must(zw.Close())
		gz := filepath.Join(dir, format+fmt.Sprint(isSparse)+"-copy.tar.gz")
		must(os.WriteFile(gz, compressed.Bytes(), 0o644))
		if a, b := listing(t, in), listing(t, gz); a != b {
			t.Errorf("%s: through gzip the listing differs:\n%s\n---\n%s", format, a, b)
		}
	}
}

func listing(t *testing.T, tarball string) string {
	t.Helper()
	out, err := exec.Command("tar", "--numeric-owner", "--full-time", "-tvf", tarball).CombinedOutput()
	if err != nil {
		t.Fatalf("tar -tvf %s: %v\n%s", tarball, err, out)
	}
	return string(out)
}
