package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractShiftsIDs(t *testing.T) {
	needRoot(t)
	opts := ExtractOptions{
		ShiftUID: func(id int) (int, error) { return id + 100000, nil },
		ShiftGID: func(id int) (int, error) { return id + 200000, nil },
	}
	data := newTar(t).
		dir("bin/", withOwner(0, 0), withMode(0o755)).
		file("bin/ping", "ping", withMode(0o4755), withXattr("security.capability", capV3(1<<13, 0))).
		file("bin/arping", "arping", withMode(0o2755), withOwner(0, 1000), withXattr("security.capability", capV2(1<<13))).
		file("bin/userns", "u", withXattr("security.capability", capV3(1<<12, 1000))).
		symlink("bin/sh", "busybox", withOwner(1000, 1000)).
		bytes()
	dest := t.TempDir()
	if _, err := extractBytes(t, data, dest, opts); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][3]uint32{
		"bin":        {100000, 200000, 0o755},
		"bin/ping":   {100000, 200000, 0o4755},
		"bin/arping": {100000, 201000, 0o2755},
		"bin/sh":     {101000, 201000, 0},
	} {
		st := lstat(t, filepath.Join(dest, name))
		if st.Uid != want[0] || st.Gid != want[1] || (want[2] != 0 && st.Mode&0o7777 != want[2]) {
			t.Errorf("%s: %d:%d mode %#o, want %d:%d mode %#o", name, st.Uid, st.Gid, st.Mode&0o7777, want[0], want[1], want[2])
		}
	}
	// The kernel reports a v3 capability with a non-zero rootid as stored.
	if got := getXattr(t, filepath.Join(dest, "bin/ping"), "security.capability"); got != capV3(1<<13, 100000) {
		t.Errorf("v3 capability %x, want rootid 100000 (%x)", got, capV3(1<<13, 100000))
	}
	if got := getXattr(t, filepath.Join(dest, "bin/userns"), "security.capability"); got != capV3(1<<12, 101000) {
		t.Errorf("v3 capability rootid 1000: %x, want rootid 101000", got)
	}
	if got := getXattr(t, filepath.Join(dest, "bin/arping"), "security.capability"); got != capV2(1<<13) {
		t.Errorf("v2 capability changed: %x", got)
	}

	// A failing shift names the entry.
	bad := ExtractOptions{ShiftUID: func(id int) (int, error) {
		if id == 1000 {
			return 0, errors.New("outside the idmap")
		}
		return id, nil
	}}
	_, err := extractBytes(t, data, t.TempDir(), bad)
	if err == nil || !strings.Contains(err.Error(), `tar entry "bin/userns"`) || !strings.Contains(err.Error(), "outside the idmap") {
		t.Errorf("failing shift: err = %v", err)
	}
}

func TestShiftCapabilityRootID(t *testing.T) {
	shift := func(id int) (int, error) { return id + 5, nil }
	v3 := []byte(capV3(7, 10))
	got, err := shiftCapabilityRootID(v3, shift)
	if err != nil || binary.LittleEndian.Uint32(got[20:]) != 15 || string(got[:20]) != string(v3[:20]) {
		t.Errorf("v3: %x %v", got, err)
	}
	if string(v3) != capV3(7, 10) {
		t.Errorf("input modified")
	}
	for _, v := range []string{capV2(7), "short", capV3(7, 10)[:23]} {
		if got, _ := shiftCapabilityRootID([]byte(v), shift); string(got) != v {
			t.Errorf("%x rewritten to %x", v, got)
		}
	}
	if _, err := shiftCapabilityRootID(v3, func(int) (int, error) { return 0, fmt.Errorf("no") }); err == nil {
		t.Errorf("shift error lost")
	}
}
