package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/thunder-lxc/thunder-lxc/provision/lxc"
)

// BatchRequest is what `apply` asks of one target: containers to
// provision, each with a request of its own (one callsign each), and
// callsigns to remove, all as one run.
type BatchRequest struct {
	Target   string
	Requests []Request
	Remove   []string
	DryRun   bool
	// Image, when set, makes the batch one on a tarball (Target is then
	// not used): Image.In is read, the result written to Image.Out.
	Image *ImageFiles
	// Stdin is read for a rootfs (or an Image.In) of "-".
	Stdin io.Reader
}

// BatchPlan is a batch worked out: one provision plan per group of
// containers that ask for the same options (provision's run with several
// callsigns: the source read once, later containers copy the first one's
// rootfs), and the remove plan. The groups are planned against the target
// as it is, then chained: the subuid/subgid lines each group adds are
// worked out on what the remove and earlier groups leave, a share folder
// two groups name is made once, common.conf is edited once. On an image,
// every plan is made against the one index of the input, and the output
// is written in one pass (see writeImage).
type BatchPlan struct {
	Request BatchRequest
	Plans   []*Plan
	Remove  *RemovePlan
	streams []*spooledStream
	// image is the tarball a batch on an image reads and writes, images
	// the plans made against its index (Plans are theirs).
	image  *imageIO
	images []*ImagePlan
	lock   io.Closer // the target's, held for the whole batch
}

// Close releases the targets and removes the spooled streams.
func (bp *BatchPlan) Close() error {
	var errs []error
	for _, p := range bp.Plans {
		errs = append(errs, p.Close())
	}
	if bp.Remove != nil {
		errs = append(errs, bp.Remove.Close())
	}
	for _, s := range bp.streams {
		errs = append(errs, s.Close())
	}
	bp.image.close()
	if bp.lock != nil {
		errs = append(errs, bp.lock.Close())
	}
	bp.Plans, bp.Remove, bp.streams, bp.images, bp.lock = nil, nil, nil, nil, nil
	return errors.Join(errs...)
}

// BuildBatchPlan reads the target and the sources and works out the
// batch. It writes nothing; every refusal happens here.
func BuildBatchPlan(ctx context.Context, req BatchRequest) (_ *BatchPlan, err error) {
	bp := &BatchPlan{Request: req}
	defer func() {
		if err != nil {
			bp.Close()
		}
	}()
	if req.Image != nil {
		if err := bp.openImage(ctx); err != nil {
			return nil, err
		}
	} else {
		// One lock for all the plans and the remove: a run of its own.
		lock, err := lockBatchTarget(ctx, req)
		if err != nil {
			return nil, err
		}
		bp.lock = lock
		ctx = withHeldLock(ctx, req.Target)
	}
	groups, err := bp.group(ctx)
	if err != nil {
		return nil, err
	}
	classes := map[string]string{}
	for _, g := range groups {
		p, err := bp.plan(ctx, g)
		if err != nil {
			return nil, err
		}
		bp.Plans = append(bp.Plans, p)
		for _, c := range p.Containers {
			if other, dup := classes[c.ClassName]; dup {
				return nil, fmt.Errorf("callsigns %s and %s share the classname %s and so one container folder %s: provision one of them",
					other, c.Callsign, c.ClassName, c.Dir)
			}
			classes[c.ClassName] = c.Callsign
		}
	}
	if len(req.Remove) > 0 {
		staying, err := bp.staying()
		if err != nil {
			return nil, err
		}
		layout := "auto"
		if len(bp.Plans) > 0 {
			layout = bp.Plans[0].Layout.Name
		}
		rreq := RemoveRequest{Callsigns: req.Remove, Target: bp.Request.Target, Layout: layout, DryRun: req.DryRun}
		if bp.image != nil {
			bp.Remove, err = planRemoveInImage(rreq, bp.image, staying)
		} else {
			bp.Remove, err = buildRemovePlan(ctx, rreq, staying)
		}
		if err != nil {
			return nil, err
		}
	}
	return bp, bp.chain()
}

// openImage reads the batch's input tarball once into an index, which
// every plan of the batch plans against.
func (bp *BatchPlan) openImage(ctx context.Context) error {
	in := bp.Request.Image.In
	if in == "-" && slices.ContainsFunc(bp.Request.Requests, func(r Request) bool { return r.Source == "-" }) {
		return fieldErrorf("rootfs", "-", "standard input holds the image: give the rootfs as a file or a FIFO")
	}
	var err error
	if bp.image, err = openImage(ctx, *bp.Request.Image, bp.Request.Stdin); err != nil {
		return err
	}
	bp.Request.Target = in
	return nil
}

// plan plans one group: against the target folder, or the image's index.
func (bp *BatchPlan) plan(ctx context.Context, g Request) (*Plan, error) {
	if bp.image == nil {
		return BuildPlan(ctx, g)
	}
	ip, err := planImage(ctx, g, bp.image)
	if err != nil {
		return nil, err
	}
	bp.images = append(bp.images, ip)
	return ip.Plan, nil
}

// group puts the requests with the same options together, in the order
// they first appear, and reads each stream source once.
func (bp *BatchPlan) group(ctx context.Context) ([]Request, error) {
	var groups []Request
	index := map[string]int{}
	streams := map[string]*spooledStream{}
	for _, r := range bp.Request.Requests {
		r.Target, r.DryRun, r.Stdin = bp.Request.Target, bp.Request.DryRun, bp.Request.Stdin
		if isStream(r.Source) {
			if streams[r.Source] == nil {
				s, err := spoolStream(ctx, r.Source, bp.Request.Stdin)
				if err != nil {
					return nil, err
				}
				streams[r.Source] = s
				bp.streams = append(bp.streams, s)
			}
			r.stream = streams[r.Source]
		}
		key := r
		key.Callsigns, key.Progress = nil, nil
		k := fmt.Sprintf("%#v", key)
		if i, ok := index[k]; ok {
			groups[i].Callsigns = append(groups[i].Callsigns, r.Callsigns...)
			continue
		}
		index[k] = len(groups)
		r.Callsigns = slices.Clone(r.Callsigns)
		groups = append(groups, r)
	}
	return groups, nil
}

// staying are the containers the batch provisions, which a remove beside
// them counts as remaining.
func (bp *BatchPlan) staying() (*stayingContainers, error) {
	s := &stayingContainers{}
	for _, p := range bp.Plans {
		for _, c := range p.Containers {
			s.dirs = append(s.dirs, c.Dir)
		}
		needs, err := p.sharedNeeds()
		if err != nil {
			return nil, err
		}
		s.relied = append(s.relied, needs.relied...)
	}
	return s, nil
}

// chain makes the plans, made against the target as it is, follow one
// another: common.conf and Thunder's config edited by the first plan only, a share folder made
// by the first plan naming it, the subuid/subgid lines of each plan
// worked out on what the remove and the plans before it leave.
func (bp *BatchPlan) chain() error {
	commonConf, thunderConf, shares := false, false, map[string]bool{}
	content := map[string][]byte{}
	if bp.Remove != nil {
		for _, e := range bp.Remove.Edits {
			content[e.Path] = e.New
		}
	}
	var earlier []State // the records of the plans before, as states
	for _, p := range bp.Plans {
		p.Edits = slices.DeleteFunc(p.Edits, func(e *Edit) bool {
			drop := e.Path == lxc.CommonConfPath && commonConf || e.Path == p.Layout.Config && thunderConf
			commonConf = commonConf || e.Path == lxc.CommonConfPath
			thunderConf = thunderConf || e.Path == p.Layout.Config
			return drop
		})
		for _, s := range p.Shares {
			if s.Create && shares[s.Host] {
				s.Create = false
			}
			shares[s.Host] = true
		}
		chained := false
		for _, e := range p.Edits {
			if !p.isSubIDEdit(e) {
				continue
			}
			before, seen := content[e.Path]
			if !seen {
				content[e.Path] = e.New
				continue
			}
			missing, err := lxc.MissingGrants(before, lxc.SubIDNeed(p.idmap, e.Path))
			if err != nil {
				return fmt.Errorf("%s: %w", e.Path, err)
			}
			e.Old, e.New, e.missing = before, lxc.AddGrants(before, missing), false
			if p.grantsAdded == nil {
				p.grantsAdded = map[string][]string{}
			}
			p.grantsAdded[e.Path] = missing
			content[e.Path] = e.New
			chained = true
		}
		if chained {
			all, err := toolContainers(p.target, p.Layout)
			if err != nil {
				return err
			}
			states := slices.Clone(earlier)
			for _, f := range all {
				if !slices.ContainsFunc(p.Containers, func(c *ContainerPlan) bool { return c.Dir == f.Dir }) {
					states = append(states, f.State)
				}
			}
			for _, c := range p.Containers {
				mine := states
				if c.hasState {
					mine = append(slices.Clone(states), c.state)
				}
				c.records.grants = p.grantRecords(mine)
			}
		}
		for _, c := range p.Containers {
			earlier = append(earlier, State{Grants: c.records.grants})
		}
	}
	return nil
}

// BatchReport says what a batch did (or, for a dry run, would do).
type BatchReport struct {
	Target string `json:"target"`
	// Output is the output tarball of a batch on an image.
	Output  string `json:"output,omitempty"`
	DryRun  bool   `json:"dryRun"`
	Changed bool   `json:"changed"`
	// Remove is the remove's report, when the batch removes containers.
	Remove *RemoveReport `json:"remove,omitempty"`
	// Runs are the groups of containers provisioned together (the same
	// options), each reported as provision reports a run.
	Runs    []*Report `json:"runs"`
	Seconds float64   `json:"seconds"`
}

// ApplyBatch carries the batch out as one run: the remove, then each
// plan, all recorded in one transaction, so that any failure undoes
// everything and the target is as it was.
func ApplyBatch(ctx context.Context, bp *BatchPlan) (*BatchReport, error) {
	start := time.Now()
	defer bp.Close()
	report := &BatchReport{Target: bp.Request.Target, DryRun: bp.Request.DryRun, Runs: []*Report{}}
	changes := false
	for _, p := range bp.Plans {
		r := newReport(p)
		report.Runs = append(report.Runs, r)
		changes = changes || p.changes()
	}
	if bp.Remove != nil {
		report.Remove = newRemoveReport(bp.Remove)
		changes = changes || bp.Remove.changes()
	}
	report.Changed = changes && !bp.Request.DryRun
	if bp.image != nil {
		if err := bp.writeImage(ctx, report, changes); err != nil {
			return nil, err
		}
		report.finish(start)
		return report, nil
	}
	if !report.Changed {
		report.finish(start)
		return report, nil
	}
	rtx, err := bp.newTransaction()
	if err != nil {
		return nil, &ApplyError{Err: err}
	}
	tx := rtx.transaction
	var cleaned []string
	if len(bp.Plans) > 0 {
		cleaned = bp.Plans[0].removeLeftovers(tx.w, report.Runs[0])
	}
	if bp.Remove != nil {
		if err := bp.Remove.apply(ctx, rtx); err != nil {
			return nil, &ApplyError{Err: err, Left: rtx.undo(), Cleaned: cleaned}
		}
	}
	// What each plan did, to give its own part the SOURCE_DATE_EPOCH time.
	parts := make([]transaction, len(bp.Plans))
	for i, p := range bp.Plans {
		before := *tx
		if err := p.apply(ctx, tx, report.Runs[i]); err != nil {
			return nil, &ApplyError{Err: err, Left: rtx.undo(), Cleaned: cleaned}
		}
		parts[i] = transaction{root: p.root, w: tx.w, stages: tx.stages[len(before.stages):],
			shares: tx.shares[len(before.shares):], edits: tx.edits[len(before.edits):]}
	}
	// Committed: the staging folders now hold only what was replaced or
	// removed.
	for _, s := range tx.stages {
		if err := s.abort(); err != nil {
			report.warn("remove the replaced container: " + err.Error())
		}
	}
	for _, w := range tx.commit() {
		report.warn(w)
	}
	if bp.Remove != nil {
		removed := rtx.edits
		rtx.edits = rtx.edits[:len(rtx.edits)-countEdits(parts)]
		for _, w := range rtx.finish(bp.Remove.clock) {
			report.warn(w)
		}
		rtx.edits = removed
	}
	for i, p := range bp.Plans {
		if err := p.stamp(&parts[i]); err != nil {
			report.warn("give what was written the time SOURCE_DATE_EPOCH sets: " + err.Error())
		}
	}
	report.finish(start)
	return report, nil
}

// writeImage writes the output of a batch on an image in one pass: the
// input seen through the remove's and every group's changes, then each
// group's containers. A group whose rootfs is the image itself copies the
// input as the steps before it leave it, as a target folder would be.
func (bp *BatchPlan) writeImage(ctx context.Context, report *BatchReport, changes bool) error {
	report.Output = bp.image.out
	for _, r := range report.Runs {
		r.Output = bp.image.out
	}
	if report.Remove != nil {
		report.Remove.Output = bp.image.out
	}
	if bp.Request.DryRun || bp.image.skipsWrite(changes) {
		return nil
	}
	ch := &imageChanges{}
	if bp.Remove != nil {
		if err := ch.addRemove(bp.Remove); err != nil {
			return bp.image.writeError(err)
		}
	}
	for _, ip := range bp.images {
		ip.before = ch.clone()
		if err := ch.addPlan(ip); err != nil {
			return bp.image.writeError(err)
		}
	}
	return bp.image.write(ctx, ch, bp.images, report.Runs)
}

func countEdits(parts []transaction) int {
	n := 0
	for _, p := range parts {
		n += len(p.edits)
	}
	return n
}

// newTransaction starts the batch's transaction, with the writer of the
// first plan's target (all plans are of one target).
func (bp *BatchPlan) newTransaction() (*removeTx, error) {
	root, session := bp.Remove.rootAndSession()
	if len(bp.Plans) > 0 {
		root, session = bp.Plans[0].root, bp.Plans[0].session
	}
	w, err := newTargetWriter(root, session)
	return &removeTx{transaction: &transaction{root: root, w: w}}, err
}

// warn adds a warning to the last run's report, or the remove's.
func (r *BatchReport) warn(w string) {
	if len(r.Runs) > 0 {
		last := r.Runs[len(r.Runs)-1]
		last.Warnings = append(last.Warnings, w)
	} else if r.Remove != nil {
		r.Remove.Warnings = append(r.Remove.Warnings, w)
	}
}

func (r *BatchReport) finish(start time.Time) {
	r.Seconds = time.Since(start).Seconds()
	for _, run := range r.Runs {
		run.finish(start)
	}
}

// WriteText prints the human summary: the remove's, then each run's.
func (r *BatchReport) WriteText(w io.Writer) {
	if r.Remove != nil {
		r.Remove.WriteText(w)
	}
	for _, run := range r.Runs {
		run.WriteText(w)
	}
}
