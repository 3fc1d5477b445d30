package provision

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"strconv"
	"time"
)

// selfSource is the input tarball as its own source (the guide's way):
// every entry but container folders and the tool's staging folders. Its
// fingerprint covers what would be copied, like a folder's: names, types,
// modes, owners, sizes and times, not the content; the paths the tool
// itself changes (unstable) are left out.
func (ip *ImagePlan) selfSource(own ownFolders, unstable map[string]bool) Source {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", SourceImage)
	ip.index.Walk(func(name string, hdr *tar.Header) {
		if name == "." || unstable[name] || leftOut(name, own) {
			return
		}
		size, mtime := hdr.Size, hdr.ModTime.UnixNano()
		if hdr.Typeflag == tar.TypeDir {
			size, mtime = 0, 0
		}
		fmt.Fprintf(h, "%s\x00%c\x00%o\x00%d\x00%d\x00%d\x00%d\x00%s\x00%d\x00%d\x00",
			name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, size, mtime, hdr.Linkname, hdr.Devmajor, hdr.Devminor)
	})
	return Source{Kind: SourceImage, Path: ip.index.Name(), Fingerprint: hex.EncodeToString(h.Sum(nil))}
}

// leftOut tells whether an entry of a tarball with the local name is left
// out of a container made from it: when it is in one of own's folders.
func leftOut(name string, own ownFolders) bool {
	for n := name; n != "." && n != "/"; n = path.Dir(n) {
		if own.leavesOut(n) {
			return true
		}
	}
	return false
}

// buildClock reads SOURCE_DATE_EPOCH: the time of what a run adds or
// changes (else fallback), and the time copies are clamped to (zero: not
// clamped).
func buildClock(fallback time.Time) (clock, clamp time.Time, err error) {
	v, set := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !set || v == "" {
		return fallback, time.Time{}, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: give the seconds since 1970 as a number", v)
	}
	t := time.Unix(sec, 0)
	return t, t, nil
}
