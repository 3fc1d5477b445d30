package lxc

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Why root needs grants at all: when newuidmap and newgidmap are installed
// (shadow's uidmap package), LXC writes the container's maps through them
// even when started by root, so that shadow never hands the same IDs to an
// ordinary user. They refuse every range that /etc/subuid or /etc/subgid does
// not grant to the caller, apart from the caller's own ID. Each line of those
// files is "owner:start:count", the owner a login name or a numeric UID
// (subuid(5)); a user may have many lines and shadow accepts a range covered
// by several of them together.

// subidOwners are the names under which a line grants IDs to root.
var subidOwners = []string{"root", "0"}

// interval is [start, end) of host IDs; int64 so start+count cannot overflow.
type interval struct{ start, end int64 }

// MissingGrants returns the lines ("root:1000:1") to add to a subuid/subgid
// file so that user "root" (uid 0) is granted every range in need; existing
// grants (by name "root" or "0"), even split across several lines or
// overlapping, are honoured; minimal additions.
//
// Only the HostID and Count of each needed range matter. Blank lines and
// lines starting with "#" are skipped; any other line that is not
// name:start:count is an error naming its line number, since shadow would
// silently ignore it and a grant written there would not count.
func MissingGrants(content []byte, need []Range) ([]string, error) {
	granted, err := parseRootGrants(content)
	if err != nil {
		return nil, err
	}
	var want []interval
	for _, r := range need {
		if r.Count > 0 {
			want = append(want, interval{int64(r.HostID), int64(r.HostID) + int64(r.Count)})
		}
	}
	var lines []string
	for _, gap := range subtract(union(want), union(granted)) {
		lines = append(lines, fmt.Sprintf("root:%d:%d", gap.start, gap.end-gap.start))
	}
	return lines, nil
}

// parseRootGrants returns the ranges the file grants to root.
func parseRootGrants(content []byte) ([]interval, error) {
	var grants []interval
	var errs *multierror.Error
	for i, line := range strings.Split(string(content), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		if len(fields) != 3 {
			errs = multierror.Append(errs, fmt.Errorf("line %d: %q is not name:start:count", i+1, line))
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if fields[0] == "" || err1 != nil || err2 != nil {
			errs = multierror.Append(errs, fmt.Errorf("line %d: %q is not name:start:count with decimal start and count", i+1, line))
			continue
		}
		if slices.Contains(subidOwners, fields[0]) && count > 0 {
			grants = append(grants, interval{int64(start), int64(start + count)})
		}
	}
	if errs != nil {
		errs.ErrorFormat = oneLine
	}
	return grants, errs.ErrorOrNil()
}

// oneLine formats collected problems on one line, as the CLI prints errors.
func oneLine(list []error) string {
	parts := make([]string, len(list))
	for i, err := range list {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// union sorts intervals and merges overlapping or touching ones.
func union(in []interval) []interval {
	s := slices.Clone(in)
	slices.SortFunc(s, func(a, b interval) int { return int(a.start - b.start) })
	var out []interval
	for _, iv := range s {
		if n := len(out); n > 0 && iv.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, iv.end)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtract returns the parts of want (merged, sorted) not in have (merged, sorted).
func subtract(want, have []interval) []interval {
	var out []interval
	for _, w := range want {
		cur := w.start
		for _, h := range have {
			if h.end <= cur || h.start >= w.end {
				continue
			}
			if h.start > cur {
				out = append(out, interval{cur, h.start})
			}
			cur = max(cur, h.end)
		}
		if cur < w.end {
			out = append(out, interval{cur, w.end})
		}
	}
	return out
}

// AddGrants returns content with the lines appended (existing lines byte-for-byte untouched,
// a missing final newline handled).
func AddGrants(content []byte, lines []string) []byte {
	out := bytes.Clone(content)
	if len(lines) == 0 {
		return out
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	for _, l := range lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}
