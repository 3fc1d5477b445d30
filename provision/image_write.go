package provision

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// WriteImage writes the output tarball: the input's entries (edited files
// with their new content, replaced containers left out), then each new
// container (its folders, the rootfs copied from the source with owners
// shifted, mount points, config, state), the share folders and the new
// files. Nothing is unpacked: entries stream from the input to the output,
// memory stays bounded whatever the size. A failure leaves no output file.
func WriteImage(ctx context.Context, ip *ImagePlan) (*Report, error) {
	start := time.Now()
	defer ip.Close()
	report := newReport(ip.Plan)
	report.Output = ip.out
	if ip.Request.DryRun || (!ip.changes() && ip.out == ip.index.Name()) {
		report.finish(start)
		return report, nil
	}
	out, err := createOutput(ip.out, ip.stdout)
	if err != nil {
		return nil, err
	}
	if err := ip.write(ctx, out, report); err != nil {
		out.abort()
		return nil, ip.writeError(err)
	}
	if err := out.commit(); err != nil {
		return nil, ip.writeError(err)
	}
	report.finish(start)
	return report, nil
}

// writeError says what a failure left: no output file, or an incomplete
// stream on standard output.
func (ip *ImagePlan) writeError(err error) error {
	if ip.out == "-" {
		return fmt.Errorf("write image to standard output: %w; what was written there is incomplete", err)
	}
	return fmt.Errorf("write image %q: %w; nothing was written", ip.out, err)
}

// write streams the whole output tarball into out.
func (ip *ImagePlan) write(ctx context.Context, out *imageOutput, report *Report) error {
	cw, err := archive.Compress(out, ip.format)
	if err != nil {
		return err
	}
	// A plain tar into a file: content can be copied file to file.
	var file *os.File
	if ip.format == archive.FormatTar {
		file = out.file
	}
	tw := archive.NewTarOut(cw, file)
	w := &imageWriter{ip: ip, tw: tw}
	if err := w.copyInput(ctx); err != nil {
		return err
	}
	for i, c := range ip.Containers {
		if c.Action == ActionUnchanged {
			continue
		}
		stats, err := w.container(ctx, c)
		if err != nil {
			return fmt.Errorf("container %s: %w", c.Dir, err)
		}
		report.Containers[i].setBuilt(c, stats)
	}
	for _, s := range ip.Shares {
		if s.Create {
			if err := w.share(s); err != nil {
				return err
			}
		}
	}
	for _, e := range ip.Edits {
		if e.missing && e.Changed() {
			if err := w.newFile(e.Path, e.New); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return cw.Close()
}

// imageWriter writes entries into the output tarball.
type imageWriter struct {
	ip *ImagePlan
	tw *archive.TarOut
}

// copyInput copies the input's entries: edited files get their new content
// (and the run's time), the folders of replaced containers are left out,
// everything else is written as read.
func (w *imageWriter) copyInput(ctx context.Context) error {
	edits := map[string]*Edit{}
	for _, e := range w.ip.Edits {
		if e.Changed() && !e.missing {
			resolved, err := inroot.Resolve(w.ip.index, e.Path, true)
			if err != nil {
				return err
			}
			edits[resolved] = e
		}
	}
	var replaced []string
	for _, c := range w.ip.Containers {
		if c.Action == ActionReplace {
			resolved, err := inroot.Resolve(w.ip.index, c.Dir, false)
			if err != nil {
				return err
			}
			replaced = append(replaced, resolved)
		}
	}
	in, err := archive.OpenTarInput(w.ip.in)
	if err != nil {
		return err
	}
	defer in.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := in.Next()
		if err == io.EOF {
			return w.tw.Flush() // before the input is closed
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", w.ip.index.Name(), err)
		}
		name := path.Clean(strings.TrimLeft(hdr.Name, "/"))
		if under(name, replaced) {
			continue
		}
		if e, ok := edits[name]; ok && hdr.Typeflag == tar.TypeReg {
			edited := *hdr
			edited.Size, edited.ModTime = int64(len(e.New)), w.ip.clock
			edited.AccessTime, edited.ChangeTime = time.Time{}, time.Time{}
			edited.PAXRecords, edited.Xattrs = withoutTimesAndSize(hdr.PAXRecords), nil
			if err := w.write(&edited, e.New); err != nil {
				return err
			}
			continue
		}
		if err := w.copyEntry(in, hdr); err != nil {
			return fmt.Errorf("copy entry %q: %w", hdr.Name, err)
		}
	}
}

// copyEntry writes an input entry as it is: its very blocks when the input
// is a plain tar file (consecutive ones copied together), else written again in the format it was read in
// (PAX keeps nanosecond times, which other formats drop), or in PAX when
// that format cannot hold it.
func (w *imageWriter) copyEntry(in *archive.TarInput, hdr *tar.Header) error {
	if f, off, n, ok := in.Raw(); ok {
		return w.tw.RawRange(f, off, n)
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		hdr.Format = tar.FormatPAX
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
	}
	_, err := io.Copy(w.tw, in.Body())
	return err
}

// under tells whether name is one of the folders or inside one.
func under(name string, folders []string) bool {
	for _, f := range folders {
		if name == f || strings.HasPrefix(name, f+"/") {
			return true
		}
	}
	return false
}

// container writes one container: its missing folders, the rootfs copied
// from the source, the share mount points, the config and the state.
func (w *imageWriter) container(ctx context.Context, c *ContainerPlan) (archive.Stats, error) {
	ip := w.ip
	dir, err := inroot.Resolve(ip.index, c.Dir, false)
	if err != nil {
		return archive.Stats{}, err
	}
	parts, err := missingParts(ip.index, dir)
	if err != nil {
		return archive.Stats{}, err
	}
	if c.Action == ActionReplace {
		parts = append(parts, dir) // left out of the copy, so written anew
	}
	for _, p := range parts {
		if err := w.dir(p, fileOwner{}, 0o755); err != nil {
			return archive.Stats{}, err
		}
	}
	rootfs := dir + "/rootfs"
	stats, err := w.rootfs(ctx, rootfs)
	if err != nil {
		return stats, err
	}
	for _, s := range ip.Shares {
		if err := w.mountPoint(rootfs, s); err != nil {
			return stats, err
		}
	}
	if err := w.file(path.Join(dir, "config"), c.Config, fileOwner{}, 0o644); err != nil {
		return stats, err
	}
	return stats, w.file(path.Join(dir, stateFile), ip.state(c).encode(), fileOwner{}, 0o644)
}

// rootfs copies the source into the rootfs folder at the local path
// rootfs: owners shifted as provision shifts them, container folders of
// the input left out.
func (w *imageWriter) rootfs(ctx context.Context, rootfs string) (archive.Stats, error) {
	ip := w.ip
	opts := archive.RewriteOptions{ExtractOptions: ip.extractOptions(nil), Prefix: rootfs}
	if ip.Source.Kind == SourceDir {
		return w.rootfsFromFolder(ctx, opts)
	}
	file := ip.in
	if ip.Source.Kind == SourceImage {
		opts.Skip = ip.own.leavesOut
	} else {
		file = ip.Source.tarballFile()
	}
	in, err := archive.OpenTarInput(file)
	if err != nil {
		return archive.Stats{}, err
	}
	defer in.Close()
	opts.Progress = ip.progress(in)
	copier := archive.NewEntryCopier(w.tw, opts)
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return copier.Stats, err
		}
		hdr, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return copier.Stats, fmt.Errorf("read %s: %w", file, err)
		}
		if first && path.Clean(strings.TrimLeft(hdr.Name, "/")) != "." {
			// No "./" entry to give the rootfs folder its owner: it is
			// the container root's, as provision makes it.
			if err := w.dir(rootfs, ip.rootfsOwner(), 0o755); err != nil {
				return copier.Stats, err
			}
		}
		first = false
		if err := copier.CopyInput(ctx, in); err != nil {
			return copier.Stats, &archive.EntryError{Name: hdr.Name, Err: err}
		}
	}
	if first {
		return copier.Stats, w.dir(rootfs, ip.rootfsOwner(), 0o755)
	}
	return copier.Stats, nil
}

// rootfsFromFolder streams a folder source through WriteTar, whose first
// entry is the folder itself.
func (w *imageWriter) rootfsFromFolder(ctx context.Context, opts archive.RewriteOptions) (archive.Stats, error) {
	pr, pw := io.Pipe()
	walked := make(chan error, 1)
	go func() {
		err := archive.WriteTar(ctx, pw, w.ip.Source.Path, w.ip.Source.archiveSkip())
		pw.CloseWithError(err)
		walked <- err
	}()
	stats, err := archive.Rewrite(ctx, pr, w.tw, opts)
	pr.CloseWithError(io.ErrClosedPipe)
	if werr := <-walked; err == nil && werr != nil {
		err = werr
	}
	return stats, err
}

// rootfsOwner is the owner of a rootfs folder made without a source entry.
func (p *Plan) rootfsOwner() fileOwner {
	if !p.shifts() {
		return fileOwner{}
	}
	uid, _ := p.idmap.HostUID(0)
	gid, _ := p.idmap.HostGID(0)
	return fileOwner{uid, gid}
}

// mountPoint writes the folders of a share's mount point that the rootfs
// source lacks (resolved in the source, whose symlinks are the container's).
func (w *imageWriter) mountPoint(rootfs string, s *Share) error {
	resolved, err := inroot.Resolve(w.ip.sourceFS, s.Container, true)
	if err != nil {
		return fmt.Errorf("share mount point /%s in the container: %w", s.Container, err)
	}
	parts, err := missingParts(w.ip.sourceFS, resolved)
	if err != nil {
		return fmt.Errorf("share mount point /%s in the container: %w", s.Container, err)
	}
	for _, p := range parts {
		if err := w.dir(path.Join(rootfs, p), fileOwner{}, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// share writes a share's missing folders: parents root's, the folder
// itself with the share's owner and mode.
func (w *imageWriter) share(s *Share) error {
	resolved, err := inroot.Resolve(w.ip.index, s.Host, true)
	if err != nil {
		return fmt.Errorf("share folder %s: %w", s.Host, err)
	}
	parts, err := missingParts(w.ip.index, resolved)
	if err != nil {
		return fmt.Errorf("share folder %s: %w", s.Host, err)
	}
	for i, p := range parts {
		owner, mode := fileOwner{}, fs.FileMode(0o755)
		if i == len(parts)-1 {
			owner, mode = fileOwner{s.Owner.UID, s.Owner.GID}, s.mode
		}
		if err := w.dir(p, owner, mode); err != nil {
			return err
		}
	}
	return nil
}

// newFile writes a file the input lacks (an /etc/subuid the device needs).
func (w *imageWriter) newFile(devicePath string, data []byte) error {
	resolved, err := inroot.Resolve(w.ip.index, devicePath, true)
	if err != nil {
		return err
	}
	return w.file(resolved, data, fileOwner{}, 0o644)
}

func (w *imageWriter) dir(name string, owner fileOwner, mode fs.FileMode) error {
	return w.write(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(modeBits(mode)),
		Uid: owner.UID, Gid: owner.GID, ModTime: w.ip.clock}, nil)
}

func (w *imageWriter) file(name string, data []byte, owner fileOwner, mode fs.FileMode) error {
	return w.write(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: int64(modeBits(mode)),
		Uid: owner.UID, Gid: owner.GID, ModTime: w.ip.clock}, data)
}

func (w *imageWriter) write(hdr *tar.Header, data []byte) error {
	hdr.Format = tar.FormatPAX
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write entry %q: %w", hdr.Name, err)
	}
	if _, err := w.tw.Write(data); err != nil {
		return fmt.Errorf("write entry %q: %w", hdr.Name, err)
	}
	return nil
}

// withoutTimesAndSize drops the PAX records that restate a header's size
// and times, which an edit changes.
func withoutTimesAndSize(records map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range records {
		switch k {
		case "size", "mtime", "atime", "ctime":
		default:
			out[k] = v
		}
	}
	return out
}
