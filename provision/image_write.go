package provision

import (
	"archive/tar"
	"bytes"
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
// with their new content, replaced containers left out), the folders the
// run adds, then each new container (the rootfs copied from the source
// with owners shifted, mount points, config, state), then the new files.
// Nothing is unpacked: entries stream from the input to the output,
// memory stays bounded whatever the size. A failure leaves no output file.
func WriteImage(ctx context.Context, ip *ImagePlan) (*Report, error) {
	start := time.Now()
	defer ip.Close()
	report := newReport(ip.Plan)
	report.Output = ip.out
	if ip.Request.DryRun || ip.skipsWrite(ip.changes()) {
		report.finish(start)
		return report, nil
	}
	ip.before = &imageChanges{}
	changes := ip.before.clone()
	if err := changes.addPlan(ip); err != nil {
		return nil, ip.writeError(err)
	}
	if err := ip.write(ctx, changes, []*ImagePlan{ip}, []*Report{report}); err != nil {
		return nil, err
	}
	report.finish(start)
	return report, nil
}

// write writes the output of a run on the image: the input seen through
// changes, then the containers of each plan (a group of an apply file),
// each plan's report getting its containers' figures. A failure leaves no
// output file.
func (im *imageIO) write(ctx context.Context, changes *imageChanges, plans []*ImagePlan, reports []*Report) error {
	out, err := createOutput(im.out, im.stdout)
	if err != nil {
		return err
	}
	if err := im.writeTo(ctx, out, changes, plans, reports); err != nil {
		out.abort()
		return im.writeError(err)
	}
	if err := out.commit(); err != nil {
		return im.writeError(err)
	}
	return nil
}

// writeError says what a failure left: no output file, or an incomplete
// stream on standard output.
func (im *imageIO) writeError(err error) error {
	if im.out == "-" {
		return fmt.Errorf("write image to standard output: %w; what was written there is incomplete", err)
	}
	return fmt.Errorf("write image %q: %w; nothing was written", im.out, err)
}

// writeTo streams the whole output tarball into out.
func (im *imageIO) writeTo(ctx context.Context, out *imageOutput, changes *imageChanges, plans []*ImagePlan, reports []*Report) error {
	cw, err := archive.Compress(out, im.format)
	if err != nil {
		return err
	}
	// A plain tar into a file: content can be copied file to file.
	var file *os.File
	if im.format == archive.FormatTar {
		file = out.file
	}
	tw := archive.NewTarOut(cw, file)
	w := &imageWriter{im: im, tw: tw}
	if err := w.copyInput(ctx, changes); err != nil {
		return err
	}
	for _, d := range changes.dirs {
		if err := w.dir(d.name, d.owner, d.mode); err != nil {
			return err
		}
	}
	for k, ip := range plans {
		for i, c := range ip.Containers {
			if c.Action == ActionUnchanged {
				continue
			}
			stats, err := w.container(ctx, ip, c)
			if err != nil {
				return fmt.Errorf("container %s: %w", c.Dir, err)
			}
			reports[k].Containers[i].setBuilt(c, stats)
		}
	}
	for _, name := range changes.files {
		if err := w.file(name, changes.content[name], fileOwner{}, 0o644); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return cw.Close()
}

// imageWriter writes entries into the output tarball.
type imageWriter struct {
	im *imageIO
	tw *archive.TarOut
}

// copyInput copies the input's entries as changes leave them: files with
// new content get it (and the run's time), what goes is left out,
// everything else is written as read.
func (w *imageWriter) copyInput(ctx context.Context, changes *imageChanges) error {
	in, err := archive.OpenTarInput(w.im.in)
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
			return fmt.Errorf("read %s: %w", w.im.index.Name(), err)
		}
		name := path.Clean(strings.TrimLeft(hdr.Name, "/"))
		if under(name, changes.gone) {
			continue
		}
		if hdr.Typeflag == tar.TypeLink && under(path.Clean(strings.TrimLeft(hdr.Linkname, "/")), changes.gone) {
			return fmt.Errorf("entry %q is a hardlink to %q, which goes: make it a file of its own in the image", hdr.Name, hdr.Linkname)
		}
		if data, ok := changes.content[name]; ok && hdr.Typeflag == tar.TypeReg {
			if err := w.write(w.edited(hdr, data), data); err != nil {
				return err
			}
			continue
		}
		if err := w.copyEntry(in, hdr); err != nil {
			return fmt.Errorf("copy entry %q: %w", hdr.Name, err)
		}
	}
}

// edited is an input file's header for new content, with the run's time.
func (w *imageWriter) edited(hdr *tar.Header, data []byte) *tar.Header {
	edited := *hdr
	edited.Size, edited.ModTime = int64(len(data)), w.im.runTime
	edited.AccessTime, edited.ChangeTime = time.Time{}, time.Time{}
	edited.PAXRecords, edited.Xattrs = withoutTimesAndSize(hdr.PAXRecords), nil
	return &edited
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

// container writes one container's contents (its folder is one of the
// folders the run adds): the rootfs copied from the source, the share
// mount points, the config and the state.
func (w *imageWriter) container(ctx context.Context, ip *ImagePlan, c *ContainerPlan) (archive.Stats, error) {
	dir, err := inroot.Resolve(ip.index, c.Dir, false)
	if err != nil {
		return archive.Stats{}, err
	}
	rootfs := dir + "/rootfs"
	stats, err := w.rootfs(ctx, ip, rootfs)
	if err != nil {
		return stats, err
	}
	for _, s := range ip.Shares {
		if err := w.mountPoint(ip, rootfs, s); err != nil {
			return stats, err
		}
	}
	if err := w.file(path.Join(dir, "config"), c.Config, fileOwner{}, 0o644); err != nil {
		return stats, err
	}
	return stats, w.file(path.Join(dir, stateFile), ip.state(c).encode(), fileOwner{}, 0o644)
}

// rootfs copies the plan's source into the rootfs folder at the local
// path rootfs, owners shifted as provision shifts them. The image itself
// as the source is the input as the steps before the plan leave it
// (ip.before), container and share folders left out.
func (w *imageWriter) rootfs(ctx context.Context, ip *ImagePlan, rootfs string) (archive.Stats, error) {
	opts := archive.RewriteOptions{ExtractOptions: ip.extractOptions(nil), Prefix: rootfs}
	if ip.Source.Kind == SourceDir {
		return w.rootfsFromFolder(ctx, ip, opts)
	}
	file, view := ip.in, ip.sourceView()
	if ip.Source.Kind == SourceImage {
		opts.Skip = func(name string) bool { return ip.own.leavesOut(name) || under(name, view.gone) }
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
		name := path.Clean(strings.TrimLeft(hdr.Name, "/"))
		if first && name != "." {
			// No "./" entry to give the rootfs folder its owner: it is
			// the container root's, as provision makes it.
			if err := w.dir(rootfs, ip.rootfsOwner(), 0o755); err != nil {
				return copier.Stats, err
			}
		}
		first = false
		if data, ok := view.content[name]; ok && hdr.Typeflag == tar.TypeReg {
			err = copier.Copy(ctx, w.edited(hdr, data), bytes.NewReader(data))
		} else {
			err = copier.CopyInput(ctx, in)
		}
		if err != nil {
			return copier.Stats, &archive.EntryError{Name: hdr.Name, Err: err}
		}
	}
	if first {
		if err := w.dir(rootfs, ip.rootfsOwner(), 0o755); err != nil {
			return copier.Stats, err
		}
	}
	return copier.Stats, w.copyAdded(ctx, copier, view)
}

// copyAdded copies what the steps before a plan added to the input (share
// folders, container parents, new files) into its rootfs, as a target
// folder made its own source holds them.
func (w *imageWriter) copyAdded(ctx context.Context, copier *archive.EntryCopier, view *imageChanges) error {
	for _, d := range view.dirs {
		hdr := w.header(tar.TypeDir, d.name+"/", 0, d.owner, d.mode)
		if err := copier.Copy(ctx, hdr, nil); err != nil {
			return &archive.EntryError{Name: d.name, Err: err}
		}
	}
	for _, name := range view.files {
		data := view.content[name]
		hdr := w.header(tar.TypeReg, name, int64(len(data)), fileOwner{}, 0o644)
		if err := copier.Copy(ctx, hdr, bytes.NewReader(data)); err != nil {
			return &archive.EntryError{Name: name, Err: err}
		}
	}
	return nil
}

// sourceView is what the run changed of the input before the plan, as far
// as its rootfs source sees it: all of it when the image is its own
// source, nothing for another source.
func (ip *ImagePlan) sourceView() *imageChanges {
	if ip.Source.Kind == SourceImage && ip.before != nil {
		return ip.before
	}
	return &imageChanges{}
}

// rootfsFromFolder streams a folder source through WriteTar, whose first
// entry is the folder itself.
func (w *imageWriter) rootfsFromFolder(ctx context.Context, ip *ImagePlan, opts archive.RewriteOptions) (archive.Stats, error) {
	pr, pw := io.Pipe()
	walked := make(chan error, 1)
	go func() {
		err := archive.WriteTar(ctx, pw, ip.Source.Path, ip.Source.archiveSkip())
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
func (w *imageWriter) mountPoint(ip *ImagePlan, rootfs string, s *Share) error {
	resolved, err := inroot.Resolve(ip.sourceFS, s.Container, true)
	if err != nil {
		return fmt.Errorf("share mount point /%s in the container: %w", s.Container, err)
	}
	parts, err := ip.sourceView().missing(ip.sourceFS, resolved)
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

func (w *imageWriter) dir(name string, owner fileOwner, mode fs.FileMode) error {
	return w.write(w.header(tar.TypeDir, name+"/", 0, owner, mode), nil)
}

func (w *imageWriter) file(name string, data []byte, owner fileOwner, mode fs.FileMode) error {
	return w.write(w.header(tar.TypeReg, name, int64(len(data)), owner, mode), data)
}

// header is the header of an entry the run makes, with the run's time.
func (w *imageWriter) header(kind byte, name string, size int64, owner fileOwner, mode fs.FileMode) *tar.Header {
	return &tar.Header{Typeflag: kind, Name: name, Size: size, Mode: int64(modeBits(mode)),
		Uid: owner.UID, Gid: owner.GID, ModTime: w.im.runTime}
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
