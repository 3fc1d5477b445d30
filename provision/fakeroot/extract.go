package fakeroot

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// paxXattr starts the PAX records that hold extended attributes.
const paxXattr = "SCHILY.xattr."

// Extract unpacks the tar stream r into the existing folder dir with GNU
// tar in the session, which records owners, devices, modes and xattrs as
// root would have them. The stream passes through a reader on its way,
// which notes what tar leaves undone (see the package comment): files
// whose owner may not read them, and under fakeroot every xattr; both are
// done once tar is finished.
func (s *Session) Extract(ctx context.Context, dir string, r io.Reader) error {
	fix := &fixups{xattrsLater: s.Kind == KindFakeroot, modes: map[int64][]string{}}
	pr, pw := io.Pipe()
	filtered := make(chan error, 1)
	go func() {
		err := fix.filter(r, pw)
		pw.CloseWithError(err)
		filtered <- err
	}()
	args := []string{"-x", "-p", "--same-owner", "-f", "-", "--numeric-owner"}
	if !fix.xattrsLater {
		args = append(args, tarKeep[1:]...)
	}
	tarErr := s.runIn(ctx, dir, pr, nil, s.tar, args...)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the reader if tar stopped early
	if err := FirstCause(<-filtered, tarErr); err != nil {
		return err
	}
	return fix.apply(ctx, s, dir)
}

// FirstCause picks, of the errors of a pipeline's stages, the one that
// explains the failure: the first that is not a stage noticing that
// another one stopped (a closed pipe, a broken pipe).
func FirstCause(errs ...error) error {
	var follow error
	for _, err := range errs {
		switch {
		case err == nil:
		case brokenPipe(err):
			if follow == nil {
				follow = err
			}
		default:
			return err
		}
	}
	return follow
}

// brokenPipe tells a stage that stopped because the next one did: a
// closed pipe in this process, or a program killed by SIGPIPE or saying
// "Broken pipe" (GNU tar, when SIGPIPE is ignored).
func brokenPipe(err error) bool {
	if errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(strings.ToLower(err.Error()), "broken pipe") {
		return true
	}
	var exit *exec.ExitError
	return errors.As(err, &exit) && strings.Contains(exit.String(), "broken pipe")
}

// fixups are what Extract does after tar: modes that tar set in a way the
// build user cannot read, and xattrs tar cannot set under fakeroot.
type fixups struct {
	xattrsLater bool
	modes       map[int64][]string // mode → regular files that need a chmod
	xattrs      bytes.Buffer       // setfattr --restore input
	withXattrs  []string
}

// filter copies the tar stream from r to w, noting and (for xattrs under
// fakeroot) removing what tar must not do itself.
func (f *fixups) filter(r io.Reader, w io.Writer) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("read the tar stream: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if !filepath.IsLocal(name) && name != "." {
			return fmt.Errorf("tar entry %q leaves the folder", hdr.Name)
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Mode&0o400 == 0 {
			f.modes[hdr.Mode&0o7777] = append(f.modes[hdr.Mode&0o7777], name)
		}
		if f.xattrsLater {
			f.takeXattrs(name, hdr)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("pass %s on: %w", hdr.Name, err)
		}
		body := &readErr{r: tr}
		if _, err := io.Copy(tw, body); err != nil {
			if body.err != nil {
				return fmt.Errorf("read the tar stream: %s: %w", hdr.Name, body.err)
			}
			return fmt.Errorf("pass %s on: %w", hdr.Name, err)
		}
	}
}

// readErr keeps its reader's error apart from the writer's in io.Copy.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// takeXattrs moves the entry's xattrs out of its header into the
// setfattr --restore input (the format getfattr --dump writes).
func (f *fixups) takeXattrs(name string, hdr *tar.Header) {
	var keys []string
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, paxXattr) {
			keys = append(keys, k)
		}
	}
	hdr.Xattrs = nil // the reader's copy of the same records
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	records := make(map[string]string, len(hdr.PAXRecords))
	for k, v := range hdr.PAXRecords {
		records[k] = v
	}
	fmt.Fprintf(&f.xattrs, "# file: %s\n", quoteAttr(name))
	for _, k := range keys {
		fmt.Fprintf(&f.xattrs, "%s=0s%s\n", quoteAttr(strings.TrimPrefix(k, paxXattr)), base64.StdEncoding.EncodeToString([]byte(records[k])))
		delete(records, k)
	}
	f.xattrs.WriteString("\n")
	hdr.PAXRecords = records
	f.withXattrs = append(f.withXattrs, name)
}

// quoteAttr escapes a name the way getfattr does, which setfattr
// --restore undoes: every byte that is not printable ASCII, and the
// blank, backslash and equals sign, as a backslash and three octal digits.
func quoteAttr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '\\' || c == '=' {
			fmt.Fprintf(&b, "\\%03o", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// apply does the noted work in dir, once tar has unpacked it. Every name
// is checked to lie inside dir first: the programs follow symlinks in the
// folders above a name, and tar may have made such symlinks.
func (f *fixups) apply(ctx context.Context, s *Session, dir string) error {
	if len(f.modes) == 0 && len(f.withXattrs) == 0 {
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, names := range append(sortedValues(f.modes), f.withXattrs) {
		for _, name := range names {
			if _, err := root.Lstat(name); err != nil {
				return fmt.Errorf("after unpacking into %s: %w", dir, err)
			}
		}
	}
	if len(f.withXattrs) > 0 {
		if _, err := exec.LookPath("setfattr"); err != nil {
			return fmt.Errorf("%s has extended attributes (file capabilities, for example), which %s records only when set on a finished file: "+
				"install setfattr (Debian package attr)", filepath.Join(dir, f.withXattrs[0]), s.Kind)
		}
		if err := s.runIn(ctx, dir, &f.xattrs, nil, "setfattr", "-h", "--restore=-"); err != nil {
			return err
		}
	}
	return s.chmod(ctx, dir, f.modes)
}

// MakeReadable sets each of names (regular files, relative to dir) again
// to the mode the session records for it: the session shows no change,
// and the build user can read the real file again (see the package
// comment).
func (s *Session) MakeReadable(ctx context.Context, dir string, names []string) error {
	metas, err := s.Stat(ctx, dir, names)
	if err != nil {
		return err
	}
	modes := map[int64][]string{}
	for i, m := range metas {
		if !m.Mode.IsRegular() {
			continue
		}
		modes[int64(m.raw&0o7777)] = append(modes[int64(m.raw&0o7777)], names[i])
	}
	return s.chmod(ctx, dir, modes)
}

// chmod runs chmod in the session, one run for each mode (or more for
// very many names): it records the mode and, under fakeroot and pseudo,
// leaves the real file readable and writable by its owner.
func (s *Session) chmod(ctx context.Context, dir string, modes map[int64][]string) error {
	for _, mode := range sortedKeys(modes) {
		if err := s.runBatched(ctx, dir, nil, "chmod", []string{fmt.Sprintf("%04o", mode)}, modes[mode]); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[int64][]string) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func sortedValues(m map[int64][]string) [][]string {
	var out [][]string
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}
