package provision

import (
	"context"
	"io"

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
	*imageIO
	// own are the input's folders a container made from it leaves out.
	own ownFolders
	// before are the changes the steps of the run before this plan make
	// (an apply file's remove and earlier groups), set when the output is
	// written: a container made from the image itself copies the input as
	// they leave it.
	before *imageChanges
	// ownsIO tells that closing the plan closes its imageIO (a batch's
	// plans share one, which the batch closes).
	ownsIO bool
}

// BuildImagePlan reads the input tarball once into an index (headers, and
// the few files planning reads) and plans against it as provision plans
// against a folder. Nothing is written.
func BuildImagePlan(ctx context.Context, req ImageRequest) (*ImagePlan, error) {
	req.Target = req.In
	req.SetDefaults()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	im, err := openImage(ctx, ImageFiles{In: req.In, Out: req.Out, Compress: req.Compress, Stdout: req.Stdout}, req.Stdin)
	if err != nil {
		return nil, err
	}
	ip, err := planImage(ctx, req.Request, im)
	if err != nil {
		im.close()
		return nil, err
	}
	ip.ownsIO = true
	return ip, nil
}

// planImage plans req against the image's index.
func planImage(ctx context.Context, req Request, im *imageIO) (*ImagePlan, error) {
	req.Target = im.index.Name()
	req.SetDefaults()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ip := &ImagePlan{imageIO: im}
	ip.Plan = &Plan{Request: req, runTarget: runTarget{target: im.index, clock: im.runTime, clamp: im.clampTo}, image: ip}
	if err := ip.build(ctx); err != nil {
		ip.Plan.Close()
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
	if ip.ownsIO {
		ip.imageIO.close()
	}
	return err
}
