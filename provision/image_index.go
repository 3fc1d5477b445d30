package provision

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// planReads is the keep rule of a tarball image plans against: the content
// of every file planning reads — Thunder's JSON configs, LXC's .conf files,
// the subordinate ID files, liblxc (its dynamic section tells whether it
// needs libseccomp), and the config and state of earlier containers. ELF
// headers (the arch) are kept for every file by the index itself. A file
// planning reads that this rule left out fails with archive.ErrNotIndexed,
// never silently.
func planReads(name string, size int64) bool {
	base := path.Base(name)
	switch {
	case strings.HasPrefix(base, "liblxc.so"):
		return size <= 64<<20
	case size > 4<<20:
		return false
	case strings.HasSuffix(base, ".json"), strings.HasSuffix(base, ".conf"):
		return true
	case base == "subuid" || base == "subgid" || base == stateFile:
		return true
	case base == "config" && path.Base(path.Dir(name)) == "Container":
		return true
	}
	return false
}

// indexTarball reads a tarball once into an index keeping what keep asks
// for (nil: ELF headers only).
func indexTarball(ctx context.Context, tarball string, keep archive.KeepRule) (*archive.Index, error) {
	r, _, err := archive.OpenTarball(tarball)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	x, err := archive.NewIndex(ctx, r, tarball, keep)
	if err != nil {
		return nil, fmt.Errorf("read rootfs %q: %w", tarball, err)
	}
	return x, nil
}
