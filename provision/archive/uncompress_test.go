package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Uncompress undoes every compression real tools make, by magic bytes, and
// passes anything else through untouched (a plain kernel .config, a file
// that merely starts like one of the magics but is too short to be one).
func TestUncompress(t *testing.T) {
	dir := t.TempDir()
	text := bytes.Repeat([]byte("CONFIG_CGROUPS=y\n# CONFIG_DEBUG is not set\n"), 500)
	plain := filepath.Join(dir, "config")
	if err := os.WriteFile(plain, text, 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{"plain": plain}
	for _, c := range compressors {
		inputs[string(c.format)] = compress(t, c.args, plain, filepath.Join(dir, "config"+c.ext))
	}
	for name, file := range inputs {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rc, err := Uncompress(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAllClose(t, rc); !bytes.Equal(got, text) {
				t.Fatalf("got %d bytes, want the %d of the text", len(got), len(text))
			}
		})
	}
	for _, short := range [][]byte{{}, {0x1f}, []byte("BZ")} {
		rc, err := Uncompress(bytes.NewReader(short))
		if err != nil {
			t.Fatalf("Uncompress(% x): %v", short, err)
		}
		if got := readAllClose(t, rc); !bytes.Equal(got, short) {
			t.Errorf("Uncompress(% x) = % x, want it unchanged", short, got)
		}
	}
	for _, m := range magics {
		if len(m.magic) > maxMagicLen {
			t.Errorf("%s magic is %d bytes, more than maxMagicLen %d", m.format, len(m.magic), maxMagicLen)
		}
	}
}
