package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ErrNeedsRoot is returned when provisioning would need root and the tool
// runs as an ordinary user.
var ErrNeedsRoot = errors.New("needs root")

// Apply carries the plan out: each container is built in a staging folder
// and renamed into place, then the edited files are replaced one by one. Any
// failure undoes what was done, so the target is as it was. A dry-run plan
// only reports.
func Apply(ctx context.Context, p *Plan) (*Report, error) {
	start := time.Now()
	defer p.Close()
	report := newReport(p)
	if p.Request.DryRun || !p.changes() {
		report.finish(start)
		return report, nil
	}
	if os.Geteuid() != 0 && p.unpacks() {
		return nil, fmt.Errorf("%w: unpacking a rootfs keeps its file owners and device nodes, which only root can create; run thunder-lxc as root (sudo; fakeroot and pseudo cannot stand in, since a Go program makes its system calls without libc); nothing was changed", ErrNeedsRoot)
	}
	var stages []*stage
	undo := func() {
		for _, s := range stages {
			s.rollback()
			s.abort()
		}
	}
	// The source is read once: later containers copy the first one's
	// rootfs (already shifted) from its staging folder, which beats
	// decompressing an xz or bzip2 tarball again.
	first := ""
	for i, c := range p.Containers {
		if c.Action == ActionUnchanged {
			continue
		}
		s, stats, err := p.buildContainer(ctx, c, first)
		if err != nil {
			undo()
			return nil, err
		}
		stages = append(stages, s)
		report.Containers[i].setBuilt(c, stats)
		if first == "" {
			first = s.hostPath(path.Join(s.container, "rootfs"))
		}
	}
	for _, s := range stages {
		if err := s.commit(); err != nil {
			undo()
			return nil, err
		}
	}
	var created []*Share
	undoShares := func() {
		for _, s := range created {
			s.removeCreated(p.root)
		}
	}
	for _, s := range p.Shares {
		if !s.Create {
			continue
		}
		created = append(created, s)
		if err := createShareHost(p.root, s); err != nil {
			undoShares()
			undo()
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
	}
	var written []*Edit
	for _, e := range p.Edits {
		if !e.Changed() {
			continue
		}
		if err := inroot.WriteFileAtomic(p.root, e.Path, e.New, 0o644); err != nil {
			for _, done := range written {
				done.undo(p.root)
			}
			undoShares()
			undo()
			return nil, fmt.Errorf("write %s: %w; nothing was changed", inroot.Describe(p.root, e.Path), err)
		}
		written = append(written, e)
	}
	// Committed: the staging folders now hold only replaced containers.
	for _, s := range stages {
		if err := s.abort(); err != nil {
			report.Warnings = append(report.Warnings, fmt.Sprintf("remove the replaced container in %s: %v", inroot.Describe(p.root, s.dir), err))
		}
	}
	report.finish(start)
	return report, nil
}

// undo puts a written file back as it was.
func (e *Edit) undo(root *os.Root) {
	if e.missing {
		if resolved, err := inroot.Resolve(root, e.Path, true); err == nil {
			root.Remove(resolved)
		}
		return
	}
	inroot.WriteFileAtomic(root, e.Path, e.Old, 0o644)
}

// changes tells whether the plan changes anything at all.
func (p *Plan) changes() bool {
	if p.unpacks() {
		return true
	}
	for _, s := range p.Shares {
		if s.Create {
			return true
		}
	}
	for _, e := range p.Edits {
		if e.Changed() {
			return true
		}
	}
	return false
}

// unpacks tells whether any container is (re)built.
func (p *Plan) unpacks() bool {
	for _, c := range p.Containers {
		if c.Action != ActionUnchanged {
			return true
		}
	}
	return false
}

// buildContainer makes the container folder in a staging folder: rootfs,
// config and state file. The rootfs comes from the source, or from the
// folder built (a rootfs staged by this run). The source is opened first, so
// a file that is no archive is refused before anything is created. On error
// the staging folder is gone.
func (p *Plan) buildContainer(ctx context.Context, c *ContainerPlan, built string) (*stage, archive.Stats, error) {
	var tarball io.ReadCloser
	if p.Source.Kind == SourceTarball && built == "" {
		var err error
		if tarball, _, err = archive.OpenTarball(p.Source.Path); err != nil {
			return nil, archive.Stats{}, err
		}
		defer tarball.Close()
	}
	s, err := newStage(p.root, c.Dir)
	if err != nil {
		return nil, archive.Stats{}, err
	}
	stats, err := p.fillContainer(ctx, s, c, tarball, built)
	if err != nil {
		s.abort()
		return nil, stats, err
	}
	return s, stats, nil
}

func (p *Plan) fillContainer(ctx context.Context, s *stage, c *ContainerPlan, tarball io.Reader, built string) (archive.Stats, error) {
	rootfs := path.Join(s.container, "rootfs")
	if err := s.mkdir(rootfs); err != nil {
		return archive.Stats{}, err
	}
	if p.shifts() {
		// The rootfs folder is the container's "/": owned by its root. A
		// tarball's "./" entry, when there is one, sets it again, shifted.
		uid, _ := p.idmap.HostUID(0)
		gid, _ := p.idmap.HostGID(0)
		if err := p.root.Lchown(rootfs, uid, gid); err != nil {
			return archive.Stats{}, err
		}
	}
	var stats archive.Stats
	var err error
	if built != "" {
		stats, err = archive.CopyDir(ctx, built, s.hostPath(rootfs), nil, archive.ExtractOptions{Progress: p.Request.Progress})
		if err != nil {
			return stats, fmt.Errorf("copy the rootfs to %s: %w (nothing was changed)", c.Dir, err)
		}
	} else if stats, err = p.unpack(ctx, s.hostPath(rootfs), tarball); err != nil {
		return stats, err
	}
	for _, share := range p.Shares {
		if err := createMountPoint(s.hostPath(rootfs), share); err != nil {
			return stats, err
		}
	}
	if c.data.Arch == archPending {
		if c.data.Arch, err = detectArchInFolder(s.hostPath(rootfs)); err != nil {
			return stats, fmt.Errorf("%w (read from %s)", err, p.Source.Path)
		}
		if c.Config, err = p.template.Render(c.data); err != nil {
			return stats, err
		}
	}
	if err := inroot.WriteFileAtomic(p.root, path.Join(s.container, "config"), c.Config, 0o644); err != nil {
		return stats, fmt.Errorf("write the container config: %w", err)
	}
	state := State{
		Tool:         "thunder-lxc",
		Callsign:     c.Callsign,
		PluginConfig: c.PluginConfig,
		PreviousMode: c.PreviousMode,
		Arch:         c.data.Arch,
		Fingerprint:  c.fingerprint,
	}
	if err := inroot.WriteFileAtomic(p.root, path.Join(s.container, stateFile), state.encode(), 0o644); err != nil {
		return stats, fmt.Errorf("write the container state: %w", err)
	}
	return stats, nil
}

// unpack copies the source (the open tarball, or the source folder) into
// the empty folder dest.
func (p *Plan) unpack(ctx context.Context, dest string, tarball io.Reader) (archive.Stats, error) {
	opts := archive.ExtractOptions{Progress: p.Request.Progress}
	if p.shifts() {
		sh := shifter{m: p.idmap, size: p.Request.IDMapSize}
		opts.ShiftUID, opts.ShiftGID = sh.uid, sh.gid
	}
	if tarball != nil {
		stats, err := archive.Extract(ctx, tarball, dest, opts)
		if err != nil {
			return stats, fmt.Errorf("unpack rootfs %q: %w (nothing was changed)", p.Source.Path, err)
		}
		return stats, nil
	}
	stats, err := archive.CopyDir(ctx, p.Source.Path, dest, p.Source.archiveSkip(), opts)
	if err != nil {
		return stats, fmt.Errorf("copy rootfs folder %q: %w (nothing was changed)", p.Source.Path, err)
	}
	return stats, nil
}
