package provision

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
)

// SourceImage is image's default source: the input tarball itself, minus
// every container folder.
const SourceImage = "image"

// ImageRequest is what `image` is asked: provision's request for a rootfs
// tarball In, written to Out with the containers in it. Request.Source is
// --rootfs (empty: In itself); Request.Target is not used.
type ImageRequest struct {
	Request
	// In is the input tarball, "-" for standard input.
	In string
	// Out is the output tarball, "-" for standard output; it may be In.
	Out string
	// Compress is the output format; empty means Out's name tells (or, for
	// a name that tells none, In's format).
	Compress archive.Format
	// Stdin and Stdout stand for "-".
	Stdin  io.Reader
	Stdout io.Writer
}

// ImagePlan is a Plan made against the index of a tarball, and where its
// output goes.
type ImagePlan struct {
	*Plan
	in       string // the input tarball (a spool file for standard input)
	index    *archive.Index
	out      string
	stdout   io.Writer
	format   archive.Format
	inFormat archive.Format
	spool    string
	// own are the input's folders a container made from it leaves out.
	own ownFolders
}

// BuildImagePlan reads the input tarball once into an index (headers, and
// the few files planning reads) and plans against it as provision plans
// against a folder. Nothing is written.
func BuildImagePlan(ctx context.Context, req ImageRequest) (_ *ImagePlan, err error) {
	req.Target = req.In
	req.SetDefaults()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ip := &ImagePlan{in: req.In, out: req.Out, stdout: req.Stdout}
	defer func() {
		if err != nil {
			ip.Close()
		}
	}()
	if req.In == "-" {
		if ip.in, err = spool(req.Stdin); err != nil {
			return nil, err
		}
		ip.spool = ip.in
	}
	r, inFormat, err := archive.OpenTarball(ip.in)
	if err != nil {
		return nil, err
	}
	ip.inFormat = inFormat
	ip.index, err = archive.NewIndex(ctx, r, req.In, planReads)
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("read image %q: %w", req.In, err)
	}
	if ip.format, err = outputFormat(req, inFormat); err != nil {
		return nil, err
	}
	ip.Plan = &Plan{Request: req.Request, target: ip.index, image: ip}
	// Without SOURCE_DATE_EPOCH, what the run adds gets the input's
	// newest time: the same input gives the same output.
	if ip.clock, ip.clamp, err = buildClock(ip.index.Newest); err != nil {
		return nil, err
	}
	if err := ip.build(ctx); err != nil {
		return nil, err
	}
	return ip, nil
}

// Close removes the spool of standard input and closes what the plan
// opened.
func (ip *ImagePlan) Close() error {
	var err error
	if ip.Plan != nil {
		err = ip.Plan.Close()
	}
	if ip.spool != "" {
		os.Remove(ip.spool)
		ip.spool = ""
	}
	return err
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

// outputFormat is --compress, else what Out's name says, else In's format.
func outputFormat(req ImageRequest, in archive.Format) (archive.Format, error) {
	format := req.Compress
	if format == "" {
		if f, ok := archive.FormatOfName(filepath.Base(req.Out)); ok && req.Out != "-" {
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
