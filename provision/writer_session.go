package provision

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
	"golang.org/x/sys/unix"
)

// sessionWriter changes the target through programs run in the fakeroot
// or pseudo session the tool runs in (see package fakeroot): trees through
// GNU tar, renames and removals through mv and rm, so the session's record
// of owners, devices and capabilities stays true. Programs take build-host
// paths: every name handed over is resolved inside the target first, and
// trees are written only below this run's own 0700 staging folder.
type sessionWriter struct {
	root *os.Root
	s    *fakeroot.Session
}

func (w *sessionWriter) host(name string) string {
	return filepath.Join(w.root.Name(), filepath.FromSlash(name))
}

func (w *sessionWriter) run(args ...string) error {
	return w.s.Run(context.Background(), nil, args[0], args[1:]...)
}

func (w *sessionWriter) MkdirTemp(dir, prefix string) (string, error) {
	for i := 0; i < 1000; i++ {
		name := path.Join(dir, fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), i))
		if _, err := w.root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return name, w.run("mkdir", "-m", "0700", "--", w.host(name))
	}
	return "", fmt.Errorf("no free name for a staging folder in %s", dir)
}

func (w *sessionWriter) Mkdirs(names []string, perm fs.FileMode) error {
	if len(names) == 0 {
		return nil
	}
	args := []string{"mkdir", "-m", modeArg(perm), "--"}
	for _, n := range names {
		args = append(args, w.host(n))
	}
	return w.run(args...)
}

// Fill pipes the source, shifted by Rewrite, into GNU tar in the session.
// A folder source is read by GNU tar in the session too: only there are
// its owners and devices what the session made them.
func (w *sessionWriter) Fill(ctx context.Context, dir string, src rootfsSource, opts archive.ExtractOptions) (archive.Stats, error) {
	in := src.tarball
	waitSource := func() error { return nil }
	if in == nil {
		if err := w.makeReadable(ctx, src); err != nil {
			return archive.Stats{}, err
		}
		names := func(emit func(string) error) error {
			return archive.WalkTree(ctx, src.dir, src.skip, func(rel string, _ fs.FileInfo) error { return emit(rel) })
		}
		stream, wait, err := w.s.Archive(ctx, src.dir, names)
		if err != nil {
			return archive.Stats{}, err
		}
		// Closed before waiting: tar must not block on a pipe nobody reads.
		in, waitSource = stream, func() error { stream.Close(); return wait() }
	}
	pr, pw := io.Pipe()
	rewritten := make(chan struct {
		stats archive.Stats
		err   error
	}, 1)
	go func() {
		tw := tar.NewWriter(pw)
		stats, err := archive.Rewrite(ctx, in, tw, archive.RewriteOptions{ExtractOptions: opts})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
		rewritten <- struct {
			stats archive.Stats
			err   error
		}{stats, err}
	}()
	extractErr := w.s.Extract(ctx, w.host(dir), pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the rewriter if tar stopped early
	r := <-rewritten
	// The source's own failure first: when it stops, the stages after it
	// see a cut stream.
	return r.stats, fakeroot.FirstCause(waitSource(), r.err, extractErr)
}

// makeReadable lets the session's programs read every file of a folder
// source: a file that tar unpacked in the session with a mode its owner
// may not read (0000) is unreadable to them, whatever the session shows.
// chmod with the mode the session records changes nothing the session
// shows, and leaves the real file readable by the build user.
func (w *sessionWriter) makeReadable(ctx context.Context, src rootfsSource) error {
	var names []string
	err := archive.WalkTree(ctx, src.dir, src.skip, func(rel string, info fs.FileInfo) error {
		if info.Mode().IsRegular() && info.Mode().Perm()&0o444 != 0o444 &&
			unix.Access(filepath.Join(src.dir, filepath.FromSlash(rel)), unix.R_OK) != nil {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil || len(names) == 0 {
		return err
	}
	return w.s.MakeReadable(ctx, src.dir, names)
}

// WriteFile writes a temporary file with GNU tar (owner and mode as the
// session sees the old file, or root's 0644), gives it the old file's
// extended attributes with cp and renames it with mv.
func (w *sessionWriter) WriteFile(name string, data []byte) error {
	owner, mode := fileOwner{0, 0}, fs.FileMode(0o644)
	_, err := w.root.Lstat(name)
	exists := err == nil
	if exists {
		metas, err := w.s.Stat(context.Background(), w.root.Name(), []string{name})
		if err != nil {
			return err
		}
		owner, mode = fileOwner{metas[0].UID, metas[0].GID}, metas[0].Mode
	}
	dir, base := path.Split(name)
	tmp := ""
	for i := 0; tmp == "" && i < 1000; i++ {
		candidate := inroot.TempName(i, base, inroot.TempNew)
		if _, err := w.root.Lstat(path.Join(dir, candidate)); errors.Is(err, fs.ErrNotExist) {
			tmp = candidate
		}
	}
	if tmp == "" {
		return fmt.Errorf("no free temporary name beside %s", name)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: tmp, Size: int64(len(data)), Mode: int64(modeBits(mode)),
		Uid: owner.UID, Gid: owner.GID, ModTime: time.Now(), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	parent := dir
	if parent == "" {
		parent = "."
	}
	if err := w.s.Extract(context.Background(), w.host(parent), &buf); err != nil {
		return err
	}
	if exists {
		// The old file's extended attributes, as the session has them
		// (fakeroot fakes security.capability): tar wrote owner and mode.
		if err := w.run("cp", "--attributes-only", "--preserve=xattr", "--", w.host(name), w.host(path.Join(dir, tmp))); err != nil {
			w.run("rm", "-f", "--", w.host(path.Join(dir, tmp)))
			return err
		}
	}
	if err := w.run("mv", "-f", "-T", "--", w.host(path.Join(dir, tmp)), w.host(name)); err != nil {
		w.run("rm", "-f", "--", w.host(path.Join(dir, tmp)))
		return err
	}
	return nil
}

func (w *sessionWriter) SetOwnerMode(name string, owner fileOwner, mode fs.FileMode) error {
	if err := w.run("chown", "-h", fmt.Sprintf("%d:%d", owner.UID, owner.GID), "--", w.host(name)); err != nil {
		return err
	}
	// After chown, which clears setgid; five digits so that GNU chmod
	// also clears a folder's setgid when the mode has none.
	return w.run("chmod", modeArg(mode), "--", w.host(name))
}

func (w *sessionWriter) SetTimes(names []string, t time.Time) error {
	if len(names) == 0 {
		return nil
	}
	args := []string{"touch", "-h", "-d", "@" + strconv.FormatInt(t.Unix(), 10), "--"}
	for _, n := range names {
		args = append(args, w.host(n))
	}
	return w.run(args...)
}

func (w *sessionWriter) Rename(from, to string) error {
	return w.run("mv", "-T", "--", w.host(from), w.host(to))
}

func (w *sessionWriter) Link(from, to string) error {
	return w.run("ln", "-T", "--", w.host(from), w.host(to))
}

func (w *sessionWriter) RemoveAll(name string) error { return w.run("rm", "-rf", "--", w.host(name)) }
func (w *sessionWriter) Remove(name string) error    { return w.run("rm", "-f", "--", w.host(name)) }

// modeBits is the numeric mode with setuid, setgid and sticky.
func modeBits(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

func modeArg(m fs.FileMode) string { return fmt.Sprintf("0%04o", modeBits(m)) }

// fileMode is modeBits' inverse.
func fileMode(v uint32) fs.FileMode {
	m := fs.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
