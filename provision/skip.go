package provision

import (
	"io/fs"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// archiveSkip adapts the source's skip rule to the archive package's.
func (s Source) archiveSkip() func(string, fs.FileInfo) archive.SkipAction {
	return func(rel string, info fs.FileInfo) archive.SkipAction {
		switch s.skip(rel, info) {
		case skipPath:
			return archive.SkipEntry
		case keepDirOnly:
			return archive.KeepDirOnly
		}
		return archive.Keep
	}
}
