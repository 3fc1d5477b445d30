package archive

import (
	"archive/tar"
	"strings"
	"time"
)

// parsePAXRecords reads PAX extended header records ("%d %s=%s\n"); ok is
// false for anything archive/tar would refuse or treat specially (GNU
// sparse records) and for lengths written with a sign.
func parsePAXRecords(b []byte) (map[string]string, bool) {
	records := make(map[string]string)
	s := string(b)
	for s != "" {
		space := strings.IndexByte(s, ' ')
		if space <= 0 || space > 9 {
			return nil, false
		}
		n := 0
		for _, c := range []byte(s[:space]) {
			if c < '0' || c > '9' {
				return nil, false
			}
			n = n*10 + int(c-'0')
		}
		// n counts the whole record, its length and newline included.
		if n < 5 || n <= space+1 || n > len(s) || s[n-1] != '\n' {
			return nil, false
		}
		key, value, found := strings.Cut(s[space+1:n-1], "=")
		if !found || key == "" || strings.HasPrefix(key, "GNU.sparse.") {
			return nil, false
		}
		switch key {
		case "path", "linkpath", "uname", "gname":
			if strings.IndexByte(value, 0) >= 0 {
				return nil, false
			}
		default:
			if strings.IndexByte(key, 0) >= 0 {
				return nil, false
			}
		}
		records[key] = value
		s = s[n:]
	}
	return records, true
}

// mergePAXRecords applies an entry's PAX records to its header as
// tar.Reader does; ok is false for a value it would refuse or that is not
// plain decimal.
func mergePAXRecords(hdr *tar.Header, records map[string]string, seen bool) bool {
	for key, value := range records {
		if value == "" {
			continue // the header block's value stands
		}
		var ok bool
		switch key {
		case "path":
			hdr.Name, ok = value, true
		case "linkpath":
			hdr.Linkname, ok = value, true
		case "uname":
			hdr.Uname, ok = value, true
		case "gname":
			hdr.Gname, ok = value, true
		case "uid":
			var id int64
			id, ok = decimal(value)
			hdr.Uid = int(id)
		case "gid":
			var id int64
			id, ok = decimal(value)
			hdr.Gid = int(id)
		case "size":
			hdr.Size, ok = decimal(value)
		case "mtime":
			hdr.ModTime, ok = paxTime(value)
		case "atime":
			hdr.AccessTime, ok = paxTime(value)
		case "ctime":
			hdr.ChangeTime, ok = paxTime(value)
		default:
			ok = true
			// The deprecated Xattrs too: archive/tar still fills it, and
			// the header must equal archive/tar's.
			if name, found := strings.CutPrefix(key, "SCHILY.xattr."); found {
				if hdr.Xattrs == nil {
					hdr.Xattrs = make(map[string]string)
				}
				hdr.Xattrs[name] = value
			}
		}
		if !ok {
			return false
		}
	}
	if seen {
		hdr.PAXRecords = records
	}
	return true
}

// decimal reads an unsigned decimal number of at most 18 digits (no
// overflow); anything else is not plain.
func decimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// paxTime reads a PAX time, seconds (negative before 1970) and an optional
// fraction; nanoseconds
// beyond the ninth digit are dropped, as archive/tar drops them.
func paxTime(s string) (time.Time, bool) {
	secText, fracText, _ := strings.Cut(s, ".")
	negative := strings.HasPrefix(secText, "-") // before 1970
	secs, ok := decimal(strings.TrimPrefix(secText, "-"))
	if !ok {
		return time.Time{}, false
	}
	var nsecs int64
	for i, c := range []byte(fracText) {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		if i < 9 {
			nsecs = nsecs*10 + int64(c-'0')
		}
	}
	for i := len(fracText); i < 9; i++ {
		nsecs *= 10
	}
	if negative {
		// -1.25 is 1.25 s before 1970: both parts count backwards.
		return time.Unix(-secs, -nsecs), true
	}
	return time.Unix(secs, nsecs), true
}
