package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkTarHeaders reads the headers of 20,000 entries in the mix of a
// rootfs tarball from GNU tar (GNU headers; a PAX header with a capability
// on one file in fifty; symlinks; small files), content passed over, with
// archive/tar and with headerParser; ns/entry is the cost of one header.
func BenchmarkTarHeaders(b *testing.B) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Unix(1_700_000_000, 0)
	content := bytes.Repeat([]byte("x"), 300)
	const entries = 20_000
	for i := range entries {
		h := &tar.Header{Name: fmt.Sprintf("./usr/lib/pkg-%03d/file-%05d.so", i/100, i), Mode: 0o644,
			ModTime: mt, Uname: "root", Gname: "root", Format: tar.FormatGNU}
		switch {
		case i%50 == 0:
			h.Format = tar.FormatPAX
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": capV2(1 << 13)}
		case i%7 == 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, "libfoo.so.1"
		}
		if h.Typeflag != tar.TypeSymlink {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(content))
		}
		if err := tw.WriteHeader(h); err != nil {
			b.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(content); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, r := range []struct {
		name string
		open func(io.Reader) tarStepper
	}{{"archive-tar", archiveTarReader}, {"headerParser", fastParser}} {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				tr := r.open(struct{ io.Reader }{bytes.NewReader(data)})
				n := 0
				for {
					_, err := tr.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != entries {
					b.Fatalf("read %d entries, want %d", n, entries)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*entries), "ns/entry")
		})
	}
}
