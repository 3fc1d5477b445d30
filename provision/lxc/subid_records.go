package lxc

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// SubIDNeed is what the map m needs granted in the subuid/subgid file
// (device path): the uid side for /etc/subuid, the gid side for
// /etc/subgid, nothing for another file.
func SubIDNeed(m IDMap, file string) []Range {
	uid, gid := m.HostRanges()
	for _, t := range subIDTools {
		if t.file != file {
			continue
		}
		if t.uids {
			return uid
		}
		return gid
	}
	return nil
}

// GrantServes tells whether the grant line ("root:100000:65536") grants
// root some of the host IDs in need: a line that serves no range can go
// without the map missing it.
func GrantServes(line string, need []Range) bool {
	fields := strings.Split(line, ":")
	if len(fields) != 3 || !slices.Contains(subidOwners, fields[0]) {
		return false
	}
	start, err1 := strconv.ParseInt(fields[1], 10, 64)
	count, err2 := strconv.ParseInt(fields[2], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	for _, r := range need {
		if start < int64(r.HostID)+int64(r.Count) && int64(r.HostID) < start+count {
			return true
		}
	}
	return false
}

// HasLine tells whether content holds line as one whole line.
func HasLine(content []byte, line string) bool {
	for _, l := range bytes.Split(content, []byte("\n")) {
		if string(l) == line {
			return true
		}
	}
	return false
}

// RemoveLines returns content without the last whole line equal to each of
// lines (AddGrants appends, so the last is the one added); every other byte
// stays as it was.
func RemoveLines(content []byte, lines []string) []byte {
	out := bytes.SplitAfter(content, []byte("\n"))
	for _, want := range lines {
		for i := len(out) - 1; i >= 0; i-- {
			if strings.TrimSuffix(string(out[i]), "\n") == want {
				out = slices.Delete(out, i, i+1)
				break
			}
		}
	}
	return bytes.Join(out, nil)
}
