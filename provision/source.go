package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// Source kinds.
const (
	SourceTarball = "tarball"
	SourceDir     = "directory"
	SourceTarget  = "target" // the target itself, minus container folders
)

// Source is where the container's rootfs comes from.
type Source struct {
	Kind string `json:"kind"`
	// Path is the build-host path of the tarball or folder.
	Path string `json:"path"`
	// Fingerprint changes whenever the source's content may have changed;
	// an unchanged fingerprint lets a second identical run do nothing.
	Fingerprint string `json:"fingerprint"`
	// skip decides which folders of a folder source are not copied.
	skip func(rel string, info fs.FileInfo) skipKind
	// spool is the file holding a stream's bytes.
	spool string
}

// tarballFile is the file to read a tarball or stream source from.
func (s Source) tarballFile() string {
	if s.spool != "" {
		return s.spool
	}
	return s.Path
}

// skipKind is what happens to one path of a folder source.
type skipKind int

const (
	copyPath    skipKind = iota
	skipPath             // left out with everything below it
	keepDirOnly          // the folder is kept, its contents are not
)

// stagingPrefix names the tool's temporary folders, so that a folder source
// never copies a half-built container of a run in progress.
const stagingPrefix = ".thunder-lxc-"

// openSource opens the plan's source; the rootfs it holds becomes readable
// (sourceFS) when it is a folder, or a tarball indexed for a dry run.
func (p *Plan) openSource(ctx context.Context, unstable map[string]bool) error {
	dataPath, err := inroot.Resolve(p.target, p.Layout.DataPath, true)
	if err != nil {
		return fmt.Errorf("data path %s: %w", inroot.Describe(p.target, p.Layout.DataPath), err)
	}
	own := ownFolders{dataPath: dataPath, shares: map[string]bool{}}
	for _, s := range p.Shares {
		if resolved, err := inroot.Resolve(p.target, s.Host, true); err == nil {
			own.shares[resolved] = true
		}
	}
	if p.image != nil && p.Request.Source == "" {
		p.image.own = own
		p.Source = p.image.selfSource(own, unstable)
		p.sourceFS = p.image.index
		return nil
	}
	switch {
	case p.Request.stream != nil:
		p.Source = p.Request.stream.source(p.Request.Source)
	case isStream(p.Request.Source):
		stream, err := spoolStream(ctx, p.Request.Source, p.Request.Stdin)
		if err != nil {
			return err
		}
		p.closers = append(p.closers, stream)
		p.Source = stream.source(p.Request.Source)
	default:
		if p.Source, err = openSource(ctx, p.Request.Source, p.target.Name(), own, unstable, p.session); err != nil {
			return err
		}
	}
	switch p.Source.Kind {
	case SourceTarget:
		p.sourceFS = p.target
	case SourceDir:
		root, err := os.OpenRoot(p.Source.Path)
		if err != nil {
			return fmt.Errorf("open rootfs folder %q: %w", p.Source.Path, err)
		}
		p.closers = append(p.closers, root)
		p.sourceFS = root
	case SourceTarball, SourceStream:
		if p.image != nil || p.Request.DryRun && p.Request.Arch == "auto" {
			// The real run reads the arch after unpacking; a dry run must
			// show the same config, so it reads the tarball once.
			if p.sourceFS, err = indexTarball(ctx, p.Source.tarballFile(), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// openSource classifies src (empty: the target) and fingerprints it.
// unstable names the target's paths (local) that the tool itself changes:
// the files this run edits and what earlier runs created (a container's
// parent folders, share folders). When the target is its own source they
// are copied but left out of the fingerprint, or the first run's own
// changes would make the second run differ.
func openSource(ctx context.Context, src, target string, own ownFolders, unstable map[string]bool, session *fakeroot.Session) (Source, error) {
	if src == "" {
		s := Source{Kind: SourceTarget, Path: target}
		s.skip = folderSkip(target, own)
		return s, s.fingerprintDir(ctx, unstable, session)
	}
	info, err := os.Stat(src)
	if err != nil {
		return Source{}, fieldErrorf("rootfs", src, "%w: give a rootfs tarball or folder", errors.Unwrap(err))
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return Source{}, err
	}
	if info.IsDir() {
		s := Source{Kind: SourceDir, Path: abs}
		s.skip = folderSkip(abs, ownFolders{})
		return s, s.fingerprintDir(ctx, nil, session)
	}
	if !info.Mode().IsRegular() {
		return Source{}, fmt.Errorf("rootfs source %q is neither a file, a folder nor a pipe: give a rootfs tarball, folder or stream", src)
	}
	st := info.Sys().(*syscall.Stat_t)
	fp := fmt.Sprintf("tarball\x00%s\x00%d\x00%d\x00%d\x00%d", abs, info.Size(), info.ModTime().UnixNano(), st.Ino, st.Ctim.Nano())
	return Source{Kind: SourceTarball, Path: abs, Fingerprint: hash(fp)}, nil
}

// folderSkip returns the skip rule of a folder source: the tool's own
// folders are left out (own); and the contents of /proc, /sys and /dev are
// left out when a live filesystem is mounted there (a running system or an
// SD card's host), while a plain rootfs's /dev (device nodes made at image
// build time) is copied.
func folderSkip(top string, own ownFolders) func(string, fs.FileInfo) skipKind {
	var topDev uint64
	if st, err := os.Lstat(top); err == nil {
		topDev = st.Sys().(*syscall.Stat_t).Dev
	}
	return func(rel string, info fs.FileInfo) skipKind {
		if own.leavesOut(rel) {
			return skipPath
		}
		if !info.IsDir() {
			return copyPath
		}
		switch rel {
		case "proc", "sys", "dev":
			if info.Sys().(*syscall.Stat_t).Dev != topDev {
				return keepDirOnly
			}
		}
		return copyPath
	}
}

// fingerprintDir hashes the metadata of every path that would be copied:
// cheap next to copying, and it changes when any file does. Inside a
// fakeroot or pseudo session (session not nil) owners, modes and device
// numbers are read as the session has them, by stat run there, in
// batches: what this process sees of them is the build user's.
func (s *Source) fingerprintDir(ctx context.Context, unstable map[string]bool, session *fakeroot.Session) error {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", s.Kind)
	var batch []pathMeta
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		names := make([]string, len(batch))
		for i, m := range batch {
			names[i] = m.rel
		}
		metas, err := session.Stat(ctx, s.Path, names)
		if err != nil {
			return fmt.Errorf("read rootfs source %s as %s sees it: %w", s.Path, session.Kind, err)
		}
		for i, m := range batch {
			m.uid, m.gid, m.mode, m.rdev = metas[i].UID, metas[i].GID, metas[i].Mode, metas[i].Rdev
			m.hash(h)
		}
		batch = batch[:0]
		return nil
	}
	err := archive.WalkTree(ctx, s.Path, s.archiveSkip(), func(rel string, info fs.FileInfo) error {
		if unstable[rel] {
			return nil
		}
		m := newPathMeta(s.Path, rel, info)
		if session == nil {
			m.hash(h)
			return nil
		}
		if batch = append(batch, m); len(batch) == fingerprintBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	s.Fingerprint = hex.EncodeToString(h.Sum(nil))
	return err
}

// fingerprintBatch is how many paths one stat run in a session describes
// at most (fewer when their names are long).
const fingerprintBatch = 1 << 15

// pathMeta is what the fingerprint holds of one path.
type pathMeta struct {
	rel         string
	mode        fs.FileMode
	uid, gid    int
	size, mtime int64
	rdev        uint64
	target      string // a symlink's
}

func newPathMeta(top, rel string, info fs.FileInfo) pathMeta {
	st := info.Sys().(*syscall.Stat_t)
	m := pathMeta{rel: rel, mode: info.Mode(), uid: int(st.Uid), gid: int(st.Gid), size: info.Size(), mtime: info.ModTime().UnixNano(), rdev: st.Rdev}
	// A folder's own time and size change whenever a file is added or
	// replaced in it (as this tool's edits do); the listing and the
	// files' own metadata already cover its content.
	if info.IsDir() {
		m.size, m.mtime = 0, 0
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		m.target, _ = os.Readlink(filepath.Join(top, filepath.FromSlash(rel)))
	}
	return m
}

func (m pathMeta) hash(h io.Writer) {
	fmt.Fprintf(h, "%s\x00%o\x00%d\x00%d\x00%d\x00%d\x00%d\x00", m.rel, m.mode, m.uid, m.gid, m.size, m.mtime, m.rdev)
	if m.mode&fs.ModeSymlink != 0 {
		fmt.Fprintf(h, "%s\x00", m.target)
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ownFolders are the folders of a target (local, resolved paths) that a
// container made from that target leaves out: its container folders under
// the data path (so containers never nest), the tool's staging folders, and
// the share folders, which are the device's side of a bind mount.
type ownFolders struct {
	dataPath string // "" when the source is not a target
	shares   map[string]bool
}

// leavesOut tells whether the local path rel is one of them.
func (o ownFolders) leavesOut(rel string) bool {
	return strings.HasPrefix(path.Base(rel), stagingPrefix) || o.shares[rel] ||
		o.dataPath != "" && o.dataPath != "." && path.Base(rel) == "Container" && strings.HasPrefix(rel, o.dataPath+"/")
}
