package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/archive"
	"github.com/thunder-lxc/thunder-lxc/provision/fakeroot"
	"github.com/thunder-lxc/thunder-lxc/provision/inroot"
)

// ErrNeedsRoot is returned when provisioning would need root and the tool
// runs as an ordinary user outside a fakeroot or pseudo session.
var ErrNeedsRoot = errors.New("needs root")

// Apply carries the plan out: each container is built in a staging folder
// and renamed into place, then share folders are made and the edited files
// replaced one by one. Any failure undoes what was done, so the target is
// as it was; the error then says so, or names exactly what is left. A
// dry-run plan only reports.
func Apply(ctx context.Context, p *Plan) (*Report, error) {
	start := time.Now()
	defer p.Close()
	report := newReport(p)
	if p.Request.DryRun || !p.changes() {
		report.finish(start)
		return report, nil
	}
	w, err := p.writer()
	if err != nil {
		return nil, &ApplyError{Err: err}
	}
	cleaned := p.removeLeftovers(w, report)
	if err := p.stampNow(w, parents(cleaned)...); err != nil {
		report.Warnings = append(report.Warnings, "give the folders of what an earlier run left the time SOURCE_DATE_EPOCH sets: "+err.Error())
	}
	faultPoint("leftovers-removed")
	tx := &transaction{root: p.root, w: w}
	if err := p.apply(ctx, tx, report); err != nil {
		return nil, &ApplyError{Err: err, Left: tx.undo(), Cleaned: cleaned}
	}
	faultPoint("edited")
	// Committed: the staging folders now hold only replaced containers,
	// the kept old files are no longer needed.
	for _, s := range tx.stages {
		if err := s.abort(); err != nil {
			report.Warnings = append(report.Warnings, "remove the replaced container: "+err.Error())
		}
	}
	report.Warnings = append(report.Warnings, tx.commit()...)
	// Last, as removing the staging folders changes their parents' times.
	if err := p.stamp(tx); err != nil {
		report.Warnings = append(report.Warnings, "give what was written the time SOURCE_DATE_EPOCH sets: "+err.Error())
	}
	faultPoint("stamped")
	report.finish(start)
	return report, nil
}

// writer picks how the target is changed: directly as root, or through
// the fakeroot or pseudo session the tool runs in.
func (p *Plan) writer() (targetWriter, error) { return newTargetWriter(p.root, p.session) }

func newTargetWriter(root *os.Root, session *fakeroot.Session) (targetWriter, error) {
	if os.Geteuid() == 0 {
		return rootWriter{root}, nil
	}
	if session != nil {
		return &sessionWriter{root: root, s: session}, nil
	}
	return nil, fmt.Errorf("%w: a container's rootfs keeps its file owners, device nodes and capabilities, which only root can create: "+
		"run thunder-lxc as root, or inside the build's fakeroot or pseudo session (a Buildroot post-fakeroot script, a Yocto task under pseudo), "+
		"or make the image with `thunder-lxc image IN -o OUT CALLSIGN...` from a rootfs tarball, which needs no root", ErrNeedsRoot)
}

// apply does the work, recording each step in tx for undo.
func (p *Plan) apply(ctx context.Context, tx *transaction, report *Report) error {
	// The source is read once: later containers copy the first one's
	// rootfs (already shifted) from its staging folder, which beats
	// decompressing an xz or bzip2 tarball again.
	first, built := "", len(tx.stages)
	for i, c := range p.Containers {
		if c.Action == ActionUnchanged {
			continue
		}
		s, stats, err := p.buildContainer(ctx, tx.w, c, first)
		if err != nil {
			return err
		}
		tx.stages = append(tx.stages, s)
		report.Containers[i].setBuilt(c, stats)
		if first == "" {
			first = path.Join(s.container, "rootfs")
		}
	}
	faultPoint("built")
	for _, s := range tx.stages[built:] { // a batch's earlier plans committed theirs
		if err := s.commit(); err != nil {
			return err
		}
		faultPoint("container-in-place")
	}
	for _, s := range p.Shares {
		if !s.Create {
			continue
		}
		if parts, err := missingParts(p.root, s.Host); err == nil && len(parts) > 0 {
			tx.noteFolder(path.Dir(parts[0]))
		}
		if err := p.createShareHost(tx, s); err != nil {
			return err
		}
		made := tx.shares[len(tx.shares)-1]
		if err := p.stampNow(tx.w, chainNames(path.Dir(made.top), made.folder)...); err != nil {
			return err
		}
		faultPoint("share-made")
	}
	for _, e := range p.editOrder() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := tx.writeEdit(e, p.clock); err != nil {
			return err
		}
		faultPoint("edit-written")
	}
	return nil
}

// editOrder is the order the edits are written in: the plugin configs
// last, so that a run that dies half-way has switched no plugin to
// Container mode while common.conf still holds the seccomp line its
// container would be refused for.
func (p *Plan) editOrder() []*Edit {
	plugin := map[string]bool{}
	for _, c := range p.Containers {
		plugin[c.PluginConfig] = true
	}
	var first, last []*Edit
	for _, e := range p.Edits {
		switch {
		case !e.Changed():
		case plugin[e.Path]:
			last = append(last, e)
		default:
			first = append(first, e)
		}
	}
	return append(first, last...)
}

// changes tells whether the plan changes anything at all.
func (p *Plan) changes() bool {
	if p.unpacks() || len(p.leftovers) > 0 {
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
// rootfs built (local path) by this run for an earlier container. The
// source is opened first, so a file that is no archive is refused before
// anything is created. On error the staging folder is gone.
func (p *Plan) buildContainer(ctx context.Context, w targetWriter, c *ContainerPlan, built string) (*stage, archive.Stats, error) {
	src := rootfsSource{dir: p.Source.Path, skip: p.Source.archiveSkip()}
	if built != "" {
		// Only a folder this run made in its own 0700 staging folder,
		// which nothing else can have replaced by a symlink.
		src = rootfsSource{dir: filepath.Join(p.root.Name(), filepath.FromSlash(built))}
	} else if p.Source.Kind == SourceTarball || p.Source.Kind == SourceStream {
		tarball, _, err := archive.OpenTarballContext(ctx, p.Source.tarballFile())
		if err != nil {
			return nil, archive.Stats{}, err
		}
		defer tarball.Close()
		src = rootfsSource{tarball: tarball}
	}
	s, err := newStage(p.root, w, c.Dir)
	if err != nil {
		return nil, archive.Stats{}, err
	}
	faultPoint("staging-made")
	stats, err := p.fillContainer(ctx, s, c, src)
	if err == nil {
		// Stamped while still out of sight: a run killed after the
		// container is in place leaves it with the times it must have.
		var names []string
		if names, err = p.containerNames(s.dir, s.container); err == nil {
			err = p.stampNow(w, names...)
		}
	}
	if err != nil {
		if aerr := s.abort(); aerr != nil {
			return nil, stats, fmt.Errorf("%w; %v", err, aerr)
		}
		return nil, stats, err
	}
	return s, stats, nil
}

func (p *Plan) fillContainer(ctx context.Context, s *stage, c *ContainerPlan, src rootfsSource) (archive.Stats, error) {
	rootfs := path.Join(s.container, "rootfs")
	if err := s.w.Mkdirs([]string{rootfs}, 0o755); err != nil {
		return archive.Stats{}, fmt.Errorf("create %s: %w", inroot.Describe(p.root, rootfs), err)
	}
	if p.shifts() {
		// The rootfs folder is the container's "/": owned by its root. A
		// tarball's "./" entry, when there is one, sets it again, shifted.
		uid, _ := p.idmap.HostUID(0)
		gid, _ := p.idmap.HostGID(0)
		if err := s.w.SetOwnerMode(rootfs, fileOwner{uid, gid}, 0o755); err != nil {
			return archive.Stats{}, fmt.Errorf("own %s by the container's root: %w", inroot.Describe(p.root, rootfs), err)
		}
	}
	opts := p.extractOptions(src.tarball)
	if src.dir != "" && src.dir != p.Source.Path {
		// A rootfs this run built is shifted already.
		opts = archive.ExtractOptions{Progress: p.progress(nil)}
	}
	stats, err := s.w.Fill(ctx, rootfs, src, opts)
	faultPoint("rootfs-filled")
	if err != nil {
		what := fmt.Sprintf("unpack rootfs %q", p.Source.Path)
		switch {
		case src.tarball == nil && src.dir != p.Source.Path:
			what = fmt.Sprintf("copy the rootfs to %s", c.Dir)
		case src.tarball == nil:
			what = fmt.Sprintf("copy rootfs folder %q", p.Source.Path)
		}
		return stats, fmt.Errorf("%s: %w", what, err)
	}
	rootfsRoot, err := p.root.OpenRoot(rootfs)
	if err != nil {
		return stats, err
	}
	defer rootfsRoot.Close()
	for _, share := range p.Shares {
		if err := createMountPoint(rootfsRoot, s.w, rootfs, share); err != nil {
			return stats, err
		}
	}
	if c.data.Arch == archPending {
		if c.data.Arch, err = detectArch(renamed{rootfsRoot, p.Source.Path}); err != nil {
			return stats, err
		}
		if c.Config, err = p.template.Render(c.data); err != nil {
			return stats, err
		}
	}
	if err := s.w.WriteFile(path.Join(s.container, "config"), c.Config); err != nil {
		return stats, fmt.Errorf("write the container config: %w", err)
	}
	if err := s.w.WriteFile(path.Join(s.container, stateFile), p.state(c).encode()); err != nil {
		return stats, fmt.Errorf("write the container state: %w", err)
	}
	return stats, nil
}

// state is what the container's state file records.
func (p *Plan) state(c *ContainerPlan) State {
	return State{
		Tool:         "thunder-lxc",
		Callsign:     c.Callsign,
		PluginConfig: c.PluginConfig,
		PreviousMode: c.PreviousMode,
		Arch:         c.data.Arch,
		Fingerprint:  c.shaping.fingerprint(),
		Shaping:      &c.shaping,
		Made:         c.records.made,

		PluginConfigBefore:  c.records.before,
		SeccompCommented:    c.records.seccomp,
		Grants:              c.records.grants,
		MessagingPathBefore: c.records.messaging,
		Records:             true,
	}
}

// extractOptions shift owners when the rootfs is stored shifted; progress
// is told of the copy from src.
func (p *Plan) extractOptions(src any) archive.ExtractOptions {
	opts := archive.ExtractOptions{Progress: p.progress(src), Clamp: p.clamp}
	if p.shifts() {
		sh := shifter{m: p.idmap, size: p.Request.IDMapSize}
		opts.ShiftUID, opts.ShiftGID = sh.uid, sh.gid
	}
	return opts
}

// parents are the folders of the device paths names, as local paths.
func parents(names []string) []string {
	var dirs []string
	for _, n := range names {
		dirs = append(dirs, strings.TrimPrefix(path.Dir(n), "/"))
	}
	return dirs
}
