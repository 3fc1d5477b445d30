package provision

import (
	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// Progress is how far copying a container's rootfs has come. From a
// tarball file, Done counts the bytes of the file read and Total is its
// size; from a folder or a stream, Done counts the file content written
// and Total is 0: how much is to come is unknown.
type Progress struct {
	Done  int64
	Total int64
}

// progressStep is how much content is written between two looks at a
// tarball file's offset: one system call per step, not per small file.
const progressStep = 256 << 10

// progress adapts Request.Progress to the archive package's callback for
// a copy reading src: a tarball OpenTarball or OpenTarInput opened, or nil.
func (p *Plan) progress(src any) func(written int64) {
	report := p.Request.Progress
	if report == nil {
		return nil
	}
	read, size, ok := archive.FileProgress(src)
	if !ok {
		return func(written int64) { report(Progress{Done: written}) }
	}
	var looked int64
	return func(written int64) {
		if written-looked < progressStep && looked != 0 {
			return
		}
		looked = written
		report(Progress{Done: min(read(), size), Total: size})
	}
}
