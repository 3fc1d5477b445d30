package provision

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// ImageFiles are the tarballs of a run made on an image rather than a
// target folder (apply and remove with an image): In is read, Out written.
type ImageFiles struct {
	// In is the input tarball, "-" for standard input (the request's
	// Stdin).
	In string
	// Out is the output tarball, "-" for standard output; it may be In.
	Out string
	// Compress is the output format; empty means Out's name tells (or, for
	// a name that tells none, In's format).
	Compress archive.Format
	// Stdout stands for an Out of "-".
	Stdout io.Writer
}

// validate adds the problems of the image files to ps.
func (f *ImageFiles) validate(ps *problems) {
	if f.In == "" {
		ps.add(fieldErrorf("image", nil, "give the input tarball"))
	}
	if f.Out == "" {
		ps.add(fieldErrorf("output", nil, "give the output tarball"))
	}
}

// imageIO is an image run's input, read once into an index, and where its
// output goes. Every plan of the run (an apply file's groups, its remove)
// plans against the one index.
type imageIO struct {
	in       string // the input tarball (a spool file for standard input)
	index    *archive.Index
	inFormat archive.Format
	out      string
	stdout   io.Writer
	format   archive.Format
	spool    string
	// runTime is the time of what the run adds or changes, clampTo the
	// time its copies are clamped to (zero: not clamped): SOURCE_DATE_EPOCH,
	// else the input's newest time, so the same input gives the same output.
	runTime, clampTo time.Time
}

// openImage reads the input tarball once into an index (headers, and the
// few files planning reads) and works out the output's format. Nothing is
// written but the spool of standard input.
func openImage(ctx context.Context, f ImageFiles, stdin io.Reader) (_ *imageIO, err error) {
	im := &imageIO{in: f.In, out: f.Out, stdout: f.Stdout}
	defer func() {
		if err != nil {
			im.close()
		}
	}()
	if f.In == "-" {
		if im.in, err = spool(stdin); err != nil {
			return nil, err
		}
		im.spool = im.in
	}
	r, inFormat, err := archive.OpenTarball(im.in)
	if err != nil {
		return nil, err
	}
	im.inFormat = inFormat
	im.index, err = archive.NewIndex(ctx, r, f.In, planReads)
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("read image %q: %w", f.In, err)
	}
	if im.format, err = outputFormat(f.Compress, f.Out, inFormat); err != nil {
		return nil, err
	}
	if im.runTime, im.clampTo, err = buildClock(im.index.Newest); err != nil {
		return nil, err
	}
	return im, nil
}

// close removes the spool of standard input.
func (im *imageIO) close() {
	if im != nil && im.spool != "" {
		os.Remove(im.spool)
		im.spool = ""
	}
}

// skipsWrite tells whether a run that changes nothing writes no output:
// when the output is the input file, which already holds the result.
func (im *imageIO) skipsWrite(changes bool) bool {
	return !changes && im.out != "-" && im.out == im.index.Name()
}

// spool copies standard input to a temporary file: the input is read more
// than once (index, copy, container copies), and a pipe only once. The
// bytes are stored as they come, compressed; nothing is unpacked.
func spool(stdin io.Reader) (string, error) {
	if stdin == nil {
		stdin = os.Stdin
	}
	f, err := os.CreateTemp("", "thunder-lxc-stdin-*")
	if err != nil {
		return "", fmt.Errorf("keep standard input in a temporary file: %w", err)
	}
	if _, err := io.Copy(f, stdin); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("keep standard input in %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// outputFormat is compress, else what out's name says, else in's format.
func outputFormat(compress archive.Format, out string, in archive.Format) (archive.Format, error) {
	format := compress
	if format == "" {
		if f, ok := archive.FormatOfName(filepath.Base(out)); ok && out != "-" {
			format = f
		} else {
			format = in
		}
	}
	if format == archive.FormatBzip2 {
		return "", fieldErrorf("compress", string(format), "%w: give an output name ending in .tar, .tar.gz, .tar.zst, .tar.xz or .tar.lz4",
			archive.ErrNoEncoder)
	}
	return format, nil
}
