package fakeroot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Meta is what the session says of a path: what lstat would say as root.
type Meta struct {
	UID, GID int
	// Mode has the file type, permission and setuid/setgid/sticky bits,
	// as os.Lstat gives them.
	Mode fs.FileMode
	// Rdev is the device number of a device node.
	Rdev uint64
	raw  uint32 // st_mode
}

// statFormat is one line per name: owner, group, raw mode and device
// numbers, in hexadecimal where stat has no other choice.
const statFormat = "%u %g %f %t %T\n"

// Stat tells how the session sees each of names (relative to dir, never
// followed when symlinks), in order, with as few runs of stat as the
// argument limit allows.
func (s *Session) Stat(ctx context.Context, dir string, names []string) ([]Meta, error) {
	var out bytes.Buffer
	if err := s.runBatched(ctx, dir, &out, "stat", []string{"--printf=" + statFormat}, names); err != nil {
		return nil, err
	}
	metas := make([]Meta, 0, len(names))
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m, err := parseStat(sc.Text())
		if err != nil {
			return nil, err
		}
		metas = append(metas, m)
	}
	if len(metas) != len(names) {
		return nil, fmt.Errorf("stat in %s described %d of %d files", s.Kind, len(metas), len(names))
	}
	return metas, nil
}

func parseStat(line string) (Meta, error) {
	f := strings.Fields(line)
	bad := fmt.Errorf("unexpected stat output %q", line)
	if len(f) != 5 {
		return Meta{}, bad
	}
	var v [5]uint64
	for i, base := range []int{10, 10, 16, 16, 16} {
		n, err := strconv.ParseUint(f[i], base, 64)
		if err != nil {
			return Meta{}, bad
		}
		v[i] = n
	}
	return Meta{UID: int(v[0]), GID: int(v[1]), Mode: fileMode(uint32(v[2])), Rdev: unix.Mkdev(uint32(v[3]), uint32(v[4])), raw: uint32(v[2])}, nil
}

// fileMode turns a raw st_mode into an fs.FileMode as os.Lstat does.
func fileMode(raw uint32) fs.FileMode {
	m := fs.FileMode(raw & 0o777)
	switch raw & unix.S_IFMT {
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if raw&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if raw&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if raw&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
