package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"
)

// tarBuilder writes tar members into memory: archives are built in test
// code, never committed as blobs.
type tarBuilder struct {
	t   testing.TB
	buf bytes.Buffer
	tw  *tar.Writer
}

func newTar(t testing.TB) *tarBuilder {
	b := &tarBuilder{t: t}
	b.tw = tar.NewWriter(&b.buf)
	return b
}

// hdrOpt adjusts one header.
type hdrOpt func(*tar.Header)

func withOwner(uid, gid int) hdrOpt  { return func(h *tar.Header) { h.Uid, h.Gid = uid, gid } }
func withMtime(t time.Time) hdrOpt   { return func(h *tar.Header) { h.ModTime = t } }
func withMode(m int64) hdrOpt        { return func(h *tar.Header) { h.Mode = m } }
func withFormat(f tar.Format) hdrOpt { return func(h *tar.Header) { h.Format = f } }
func withXattr(name, value string) hdrOpt {
	return func(h *tar.Header) {
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords[paxXattrPrefix+name] = value
	}
}

func (b *tarBuilder) add(h *tar.Header, body string, opts ...hdrOpt) *tarBuilder {
	b.t.Helper()
	if h.ModTime.IsZero() {
		h.ModTime = time.Unix(1_000_000_000, 0)
	}
	h.Format = tar.FormatPAX
	for _, o := range opts {
		o(h)
	}
	if err := b.tw.WriteHeader(h); err != nil {
		b.t.Fatalf("tar builder: header %q: %v", h.Name, err)
	}
	if _, err := b.tw.Write([]byte(body)); err != nil {
		b.t.Fatalf("tar builder: body %q: %v", h.Name, err)
	}
	return b
}

func (b *tarBuilder) dir(name string, opts ...hdrOpt) *tarBuilder {
	return b.add(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}, "", opts...)
}

func (b *tarBuilder) file(name, body string, opts ...hdrOpt) *tarBuilder {
	return b.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body, opts...)
}

func (b *tarBuilder) symlink(name, target string, opts ...hdrOpt) *tarBuilder {
	return b.add(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, "", opts...)
}

func (b *tarBuilder) hardlink(name, target string, opts ...hdrOpt) *tarBuilder {
	return b.add(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}, "", opts...)
}

func (b *tarBuilder) device(flag byte, name string, major, minor int64, opts ...hdrOpt) *tarBuilder {
	return b.add(&tar.Header{Typeflag: flag, Name: name, Mode: 0o600, Devmajor: major, Devminor: minor}, "", opts...)
}

func (b *tarBuilder) bytes() []byte {
	b.t.Helper()
	if err := b.tw.Close(); err != nil {
		b.t.Fatalf("tar builder: close: %v", err)
	}
	return b.buf.Bytes()
}

// rawHeader builds one ustar header block by hand, for what archive/tar's
// writer refuses to produce (NUL bytes in names).
func rawHeader(name string, typeflag byte, size int) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], "00000000000\x00")
	h[156] = typeflag
	copy(h[257:265], "ustar\x0000")
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// rawPAX is a PAX extended header carrying records verbatim, then a member.
func rawPAX(records map[string]string, member []byte) []byte {
	var body bytes.Buffer
	for k, v := range records {
		rec := " " + k + "=" + v + "\n"
		n := len(rec)
		for len(fmt.Sprint(n))+len(rec) != n {
			n = len(fmt.Sprint(n)) + len(rec)
		}
		fmt.Fprintf(&body, "%d%s", n, rec)
	}
	out := rawHeader("PaxHeader", tar.TypeXHeader, body.Len())
	out = append(out, body.Bytes()...)
	out = append(out, make([]byte, (512-body.Len()%512)%512)...)
	out = append(out, member...)
	return append(out, make([]byte, 1024)...)
}

// capV2 is a security.capability value, revision 2, effective, permitted
// bits as given (low word).
func capV2(permitted uint32) string {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000001)
	binary.LittleEndian.PutUint32(b[4:], permitted)
	return string(b)
}

// capV3 is a namespaced (revision 3) capability with a rootid.
func capV3(permitted, rootid uint32) string {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0x03000001)
	binary.LittleEndian.PutUint32(b[4:], permitted)
	binary.LittleEndian.PutUint32(b[20:], rootid)
	return string(b)
}

func extractBytes(t testing.TB, data []byte, dest string, opts ExtractOptions) (Stats, error) {
	t.Helper()
	return Extract(context.Background(), bytes.NewReader(data), dest, opts)
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates devices, sets owners and security.capability")
	}
}
