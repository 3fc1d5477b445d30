package archive

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"strings"
	"time"
)

// headerParser reads a tar stream entry by entry exactly as tar.Reader
// does, parsing the plain headers rootfs tarballs are made of itself and
// handing the rest to archive/tar.
//
// Why: unpacking a plain tarball, archive/tar's Next was the CPU time left
// between this tool and GNU tar (docs/performance.md): it scans each header
// block for non-ASCII bytes rune by rune and parses every number through
// bytes.Trim and strconv. Here the scan is eight bytes at a time and the
// numbers are read in place.
//
// How it stays archive/tar: the blocks of one entry (a PAX 'x' header with
// its records, GNU 'L'/'K' long names, the entry's own header) are parsed
// here only when every field is of the plain kind — the ustar or GNU magic,
// a checksum matching the unsigned sum, octal numbers, PAX records with
// decimal values — and at most one of each meta header comes first.
// Anything else (the end-of-archive zeros, a short read, base-256 numbers,
// v7 or star headers, sparse files, global headers) and the bytes read for
// that entry are handed to a tar.Reader, followed by the rest of the
// stream, and archive/tar reads from there to the end; with
// GODEBUG=tarinsecurepath set, which changes what archive/tar returns for
// non-local names, it reads the whole stream. A header parsed here equals
// archive/tar's field by field, and the stream is read to the same byte:
// TestHeaderParserEqualsArchiveTar checks that on archives from GNU tar,
// bsdtar and Go and on thousands of their mutations, FuzzHeaderParser on
// any bytes.
type headerParser struct {
	r    io.Reader // the stream, read exactly: never past a header or content
	unit []byte    // the bytes read for the entry being parsed
	// unitPad is the padding after the unit's last meta content, not read yet.
	unitPad int64
	left    int64 // content of the current entry not read yet
	pad     int64 // block padding after that content
	err     error // sticky, as tar.Reader's
	slow    *tar.Reader

	cannotSeek   bool
	scratch      [4 * tarBlockSize]byte // content and padding passed over
	uname, gname lastString
	meta         tar.Header // the last meta header block's type and size
}

// maxFastMeta bounds the PAX records and long names read here: larger ones
// (archive/tar allows up to 1 MiB) go to archive/tar.
const maxFastMeta = 64 << 10

func newHeaderParser(r io.Reader) *headerParser {
	p := &headerParser{r: r, unit: make([]byte, 0, 4*tarBlockSize)}
	// GODEBUG=tarinsecurepath=0 makes tar.Reader return ErrInsecurePath
	// with non-local names; archive/tar alone then decides.
	if strings.Contains(os.Getenv("GODEBUG"), "tarinsecurepath") {
		p.slow = tar.NewReader(r)
	}
	return p
}

// Next moves to the next entry, passing over what is left of the current
// one; io.EOF at the end of the archive (tar.Reader's Next).
func (p *headerParser) Next() (*tar.Header, error) {
	if p.slow != nil {
		return p.slow.Next()
	}
	if p.err != nil {
		return nil, p.err
	}
	hdr, err := p.next()
	p.err = err
	return hdr, err
}

// Read reads the current entry's content (tar.Reader's Read).
func (p *headerParser) Read(b []byte) (int, error) {
	if p.slow != nil {
		return p.slow.Read(b)
	}
	if p.err != nil {
		return 0, p.err
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	var n int
	var err error
	if len(b) > 0 {
		n, err = p.r.Read(b)
		p.left -= int64(n)
	}
	switch {
	case err == io.EOF && p.left > 0:
		err = io.ErrUnexpectedEOF
	case err == nil && p.left == 0:
		err = io.EOF
	}
	if err != nil && err != io.EOF {
		p.err = err
	}
	return n, err
}

func (p *headerParser) next() (*tar.Header, error) {
	if err := p.passContent(); err != nil {
		return nil, err
	}
	p.unit, p.unitPad = p.unit[:0], 0
	var (
		pax                   map[string]string
		longName, longLink    string
		seenPAX, seenL, seenK bool
	)
	// What the entry's blocks allow it to be, as archive/tar narrows it.
	format := tar.FormatUSTAR | tar.FormatPAX | tar.FormatGNU
	for {
		blk, err := p.readUnit(tarBlockSize)
		if err != nil {
			return p.handOver(err)
		}
		hdr, blockFormat, ok := p.parseHeaderBlock(blk)
		if !ok {
			return p.handOver(nil)
		}
		format &= blockFormat
		switch hdr.Typeflag {
		case tar.TypeXHeader:
			if seenPAX || hdr.Size > maxFastMeta {
				return p.handOver(nil)
			}
			content, err := p.readUnit(hdr.Size)
			if err != nil {
				return p.handOver(err)
			}
			if pax, ok = parsePAXRecords(content); !ok {
				return p.handOver(nil)
			}
			seenPAX = true
			format &= tar.FormatPAX
		case tar.TypeGNULongName, tar.TypeGNULongLink:
			long := &longName
			seen := &seenL
			if hdr.Typeflag == tar.TypeGNULongLink {
				long, seen = &longLink, &seenK
			}
			if *seen || hdr.Size > maxFastMeta {
				return p.handOver(nil)
			}
			content, err := p.readUnit(hdr.Size)
			if err != nil {
				return p.handOver(err)
			}
			*long, *seen = cString(content), true
			format &= tar.FormatGNU
		case tar.TypeXGlobalHeader, tar.TypeGNUSparse:
			return p.handOver(nil)
		default:
			if !mergePAXRecords(hdr, pax, seenPAX) {
				return p.handOver(nil)
			}
			if longName != "" {
				hdr.Name = longName
			}
			if longLink != "" {
				hdr.Linkname = longLink
			}
			if hdr.Typeflag == tar.TypeRegA {
				hdr.Typeflag = tar.TypeReg
				if strings.HasSuffix(hdr.Name, "/") {
					hdr.Typeflag = tar.TypeDir // how old archives mark folders
				}
			}
			if format&tar.FormatUSTAR != 0 && format&tar.FormatPAX != 0 {
				format &= tar.FormatUSTAR
			}
			hdr.Format = format
			p.left = 0
			if hasContent(hdr) {
				p.left = hdr.Size
			}
			p.pad = blockPad(p.left)
			return hdr, nil
		}
	}
}

// passContent passes over what is left of the current entry's content and
// its padding, with tar.Reader's errors: a stream that ends inside the
// content is cut short, one that ends inside the padding has ended. Like
// tar.Reader it seeks over content when the stream can (reading the last
// byte, to see that the stream goes that far); small content and the
// padding are read in one go.
func (p *headerParser) passContent() error {
	if p.left > 1 && !p.cannotSeek {
		if err := p.seekOver(); err != nil {
			return err
		}
	}
	n := p.left + p.pad
	var read int64
	for read < n {
		got, err := p.r.Read(p.scratch[:min(n-read, int64(len(p.scratch)))])
		read += int64(got)
		if err == io.EOF && read < n {
			if read < p.left {
				return io.ErrUnexpectedEOF
			}
			return io.EOF
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	p.left, p.pad = 0, 0
	return nil
}

// seekOver seeks to the last byte of the current entry's content.
func (p *headerParser) seekOver() error {
	s, ok := p.r.(io.Seeker)
	if !ok {
		p.cannotSeek = true
		return nil
	}
	at, err := s.Seek(0, io.SeekCurrent)
	if err != nil || at < 0 {
		p.cannotSeek = true // a stream that cannot seek now never can
		return nil
	}
	to, err := s.Seek(p.left-1, io.SeekCurrent)
	if err != nil || to < 0 {
		return err
	}
	p.left -= to - at
	return nil
}

// readUnit reads the padding left from the entry's previous read, then n
// bytes, into the entry's unit, and returns the n bytes. Padding is read
// only when more follows, as archive/tar reads it, so that a hand-over
// leaves the stream where archive/tar alone would have left it. A read cut
// short keeps what it got for the hand-over.
func (p *headerParser) readUnit(n int64) ([]byte, error) {
	start := len(p.unit)
	total := int(p.unitPad + n)
	if cap(p.unit)-start < total {
		grown := make([]byte, start, 2*cap(p.unit)+total)
		copy(grown, p.unit)
		p.unit = grown
	}
	p.unit = p.unit[:start+total]
	got, err := io.ReadFull(p.r, p.unit[start:])
	if err != nil {
		p.unit = p.unit[:start+got]
		return nil, err
	}
	p.unitPad = blockPad(n)
	return p.unit[start+total-int(n):], nil
}

// handOver gives the entry's bytes read so far, then the rest of the
// stream, to archive/tar, which reads from now on. A read error other than
// the stream's end is returned as tar.Reader returns it, not replayed.
func (p *headerParser) handOver(err error) (*tar.Header, error) {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		p.err = err
		return nil, err
	}
	rest := &replay{held: p.unit, r: p.r}
	if _, ok := p.r.(io.Seeker); ok {
		p.slow = tar.NewReader(seekableReplay{rest})
	} else {
		p.slow = tar.NewReader(rest)
	}
	p.unit = nil
	return p.slow.Next()
}

// replay is what archive/tar reads after a hand-over: the bytes read for
// the entry so far, then the rest of the stream.
type replay struct {
	held []byte
	r    io.Reader
}

func (p *replay) Read(b []byte) (int, error) {
	if len(p.held) > 0 {
		n := copy(b, p.held)
		p.held = p.held[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// seekableReplay lets archive/tar seek past content, as it does on a
// seekable stream, once the held bytes are read.
type seekableReplay struct{ *replay }

func (s seekableReplay) Seek(offset int64, whence int) (int64, error) {
	if len(s.held) > 0 {
		return -1, errNoSeek
	}
	return s.r.(io.Seeker).Seek(offset, whence)
}

// Header block layout (POSIX ustar; GNU keeps the same offsets up to the
// device numbers and puts times where ustar has its prefix).
const (
	offName     = 0
	offMode     = 100
	offUID      = 108
	offGID      = 116
	offSize     = 124
	offMtime    = 136
	offChksum   = 148
	offType     = 156
	offLinkname = 157
	offMagic    = 257
	offVersion  = 263
	offUname    = 265
	offGname    = 297
	offDevmajor = 329
	offDevminor = 337
	offPrefix   = 345 // ustar: 155 bytes
	offGNUAtime = 345 // GNU: 12 bytes
	offGNUCtime = 357 // GNU: 12 bytes
	offTrailer  = 508 // star: "tar\x00"
)

// parseHeaderBlock reads one header block as tar.Reader does, with the
// format the block allows; ok is false for anything not plain.
func (p *headerParser) parseHeaderBlock(blk []byte) (hdr *tar.Header, format tar.Format, ok bool) {
	want, ok := octalField(blk[offChksum : offChksum+8])
	sum, nonASCII := blockSum(blk)
	if !ok || want != sum {
		return nil, 0, false
	}
	magic := blk[offMagic : offMagic+6]
	gnu := false
	switch {
	case string(magic) == "ustar\x00" && string(blk[offTrailer:offTrailer+4]) != "tar\x00":
		format = tar.FormatUSTAR | tar.FormatPAX
	case string(magic) == "ustar " && string(blk[offVersion:offVersion+2]) == " \x00":
		format, gnu = tar.FormatGNU, true
		if blk[offGNUAtime] != 0 || blk[offGNUCtime] != 0 {
			return nil, 0, false // GNU incremental times
		}
	default:
		return nil, 0, false // v7 or star
	}

	var n [7]int64 // size, mode, uid, gid, mtime, devmajor, devminor
	for i, off := range [7]int{offSize, offMode, offUID, offGID, offMtime, offDevmajor, offDevminor} {
		width := 8
		if off == offSize || off == offMtime {
			width = 12
		}
		field := blk[off : off+width]
		if n[i], ok = octalField(field); !ok {
			return nil, 0, false
		}
		// ustar proper ends each number with a NUL.
		if !gnu && field[width-1] != 0 {
			format = tar.FormatUnknown
		}
	}
	if !gnu && nonASCII {
		format = tar.FormatUnknown
	}
	switch typeflag := blk[offType]; typeflag {
	case tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink, tar.TypeXGlobalHeader, tar.TypeGNUSparse:
		// Of these only the type and size are read (the last two are
		// handed over): no strings made, nothing allocated.
		p.meta = tar.Header{Typeflag: typeflag, Size: n[0]}
		return &p.meta, format, true
	}
	hdr = &tar.Header{
		Typeflag: blk[offType],
		Name:     cString(blk[offName:offMode]),
		Linkname: cString(blk[offLinkname:offMagic]),
		Size:     n[0],
		Mode:     n[1],
		Uid:      int(n[2]),
		Gid:      int(n[3]),
		ModTime:  time.Unix(n[4], 0),
		Uname:    p.uname.get(blk[offUname:offGname]),
		Gname:    p.gname.get(blk[offGname:offDevmajor]),
		Devmajor: n[5],
		Devminor: n[6],
	}
	if !gnu {
		if prefix := cString(blk[offPrefix : offPrefix+155]); prefix != "" {
			hdr.Name = prefix + "/" + hdr.Name
		}
	}
	return hdr, format, true
}

// octalField reads a numeric field written in octal: digits between
// optional spaces and NULs. ok is false for anything else (base-256, stray
// characters), which archive/tar parses or refuses on its own.
func octalField(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == 0) {
		i++
	}
	var v int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '7'; i++ {
		v = v<<3 | int64(b[i]-'0') // at most 12 digits: no overflow
	}
	for ; i < len(b); i++ {
		if b[i] != ' ' && b[i] != 0 {
			return 0, false
		}
	}
	return v, true
}

// blockSum adds up a header block's bytes, with the checksum field counted
// as spaces (the header checksum), and tells whether any byte is 0x80 or
// more. Eight bytes at a time: the bytes at even and odd places are added
// in four 16-bit lanes each, which cannot overflow in 64 words (64 × 2 ×
// 255 < 65536).
func blockSum(blk []byte) (sum int64, nonASCII bool) {
	const evenBytes = 0x00ff00ff00ff00ff
	var lanes, high uint64
	for i := 0; i+8 <= tarBlockSize; i += 8 {
		w := binary.LittleEndian.Uint64(blk[i:])
		high |= w
		lanes += w&evenBytes + (w>>8)&evenBytes
	}
	for ; lanes != 0; lanes >>= 16 {
		sum += int64(lanes & 0xffff)
	}
	for _, c := range blk[offChksum : offChksum+8] {
		sum -= int64(c)
	}
	return sum + 8*' ', high&0x8080808080808080 != 0
}

// cString is a header string: its bytes up to the first NUL.
func cString(b []byte) string { return string(beforeNUL(b)) }

func beforeNUL(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// lastString hands out the string a header field holds, the same string
// as last time when the bytes are the same: a rootfs has one or two owner
// names, and this saves two allocations per entry.
type lastString struct{ s string }

func (l *lastString) get(field []byte) string {
	b := beforeNUL(field)
	if string(b) != l.s { // compared without a copy
		l.s = string(b)
	}
	return l.s
}
