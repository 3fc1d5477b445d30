package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// tarFlags make GNU tar and bsdtar do the work Extract does: numeric
// owners, xattrs, permissions.
const (
	gnuFlags = `--numeric-owner --xattrs --xattrs-include='*' -p`
	bsdFlags = `--numeric-owner --xattrs -p`
)

// tool is the other side of a comparison: a shell command with $SRC and
// $DEST set.
type tool struct {
	name, script string
	needs        []string
}

// kinds are the comparisons per input kind, in the order.
var kinds = []struct {
	kind  string
	tools []tool
}{
	{"tar", []tool{
		{"tar -xf", `tar ` + gnuFlags + ` -xf "$SRC" -C "$DEST"`, []string{"tar"}},
		{"bsdtar -xf", `bsdtar ` + bsdFlags + ` -xf "$SRC" -C "$DEST"`, []string{"bsdtar"}},
	}},
	{"gz", []tool{
		{"tar -xzf", `tar ` + gnuFlags + ` -xzf "$SRC" -C "$DEST"`, []string{"tar", "gzip"}},
		{"pigz -dc | tar -x", `pigz -dc "$SRC" | tar ` + gnuFlags + ` -xf - -C "$DEST"`, []string{"tar", "pigz"}},
	}},
	{"xz", []tool{{"tar -xJf", `tar ` + gnuFlags + ` -xJf "$SRC" -C "$DEST"`, []string{"tar", "xz"}}}},
	{"zst", []tool{{"tar --zstd -xf", `tar ` + gnuFlags + ` --zstd -xf "$SRC" -C "$DEST"`, []string{"tar", "zstd"}}}},
	{"folder", []tool{{"cp -a", `cp -a "$SRC/." "$DEST"`, []string{"cp"}}}},
}

// measure is one run.
type measure struct {
	wall, cpu time.Duration
	rssKiB    int64
}

type bench struct {
	runs  int
	work  string
	only  string
	n     int      // runs so far, for fresh folder names
	trash []string // trees to delete at the end of a comparison
	rows  []row
}

// row is one comparison's medians.
type row struct {
	corpus, input, tool string
	ours, theirs        measure
}

func (b *bench) run(cacheDir, minbase string, big bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	all := []string{"tar", "gz", "xz", "zst"}
	gen, err := makeCorpus(cacheDir, "generated", "", all, func(dir string) error {
		return generate(dir, 20000, 300<<20, 1)
	})
	if err != nil {
		return err
	}
	corpora := []corpus{gen}
	if tree, err := minbaseTree(cacheDir, minbase); err != nil {
		fmt.Fprintf(os.Stderr, "bench: no minbase tree, its comparisons left out: %v\n", err)
	} else if c, err := makeCorpus(cacheDir, "minbase", tree, all, nil); err != nil {
		return err
	} else {
		corpora = append(corpora, c)
	}
	for _, c := range corpora {
		if err := b.corpus(self, c, b.runs, nil); err != nil {
			return err
		}
	}
	if big {
		c, err := makeCorpus(cacheDir, "generated-1GB", "", []string{"tar", "gz"}, func(dir string) error {
			return generate(dir, 40000, 1<<30, 2)
		})
		if err != nil {
			return err
		}
		if err := b.corpus(self, c, 2, []string{"tar", "gz", "folder"}); err != nil {
			return err
		}
	}
	b.print()
	return nil
}

// corpus runs the comparisons of one corpus (those of the kinds in only,
// when given).
func (b *bench) corpus(self string, c corpus, runs int, only []string) error {
	if b.runs == 0 {
		return nil // -runs 0: make the corpora only
	}
	for _, k := range kinds {
		if b.only != "" && k.kind != b.only {
			continue
		}
		if only != nil && !contains(only, k.kind) {
			continue
		}
		src := c.tars[k.kind]
		if k.kind == "folder" {
			src = c.tree
		}
		if src == "" {
			continue
		}
		for _, t := range k.tools {
			if missing := missingTools(t.needs); missing != "" {
				fmt.Fprintf(os.Stderr, "bench: %s left out: %s is not installed\n", t.name, missing)
				continue
			}
			oursCmd := []string{self, "ours", src}
			theirsCmd := []string{"bash", "-c", "set -o pipefail; " + t.script}
			// One run untimed first: it reads the source into the page
			// cache for both sides, and takes the slow first writes after
			// a deletion (measured here on ext4: some runs right after
			// deleting the previous trees took 5-10 s of system time).
			if _, err := b.timed(theirsCmd, src, false); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			var oursM, theirsM []measure
			for i := range runs {
				// Alternate which side goes first, so drift of the shared
				// disk and page cache hits both alike.
				if i%2 == 0 {
					m, err := b.timed(oursCmd, src, true)
					if err != nil {
						return err
					}
					oursM = append(oursM, m)
				}
				m, err := b.timed(theirsCmd, src, false)
				if err != nil {
					return fmt.Errorf("%s: %w", t.name, err)
				}
				theirsM = append(theirsM, m)
				if i%2 == 1 {
					m, err := b.timed(oursCmd, src, true)
					if err != nil {
						return err
					}
					oursM = append(oursM, m)
				}
			}
			b.rows = append(b.rows, row{corpus: c.name, input: k.kind, tool: t.name, ours: median(oursM), theirs: median(theirsM)})
			fmt.Fprintf(os.Stderr, "%s %s vs %s: done\n", c.name, k.kind, t.name)
		}
		if err := b.clean(); err != nil {
			return err
		}
	}
	return nil
}

// timed runs argv into a fresh folder after a sync. ours appends DEST to
// argv; a tool finds it in $DEST.
func (b *bench) timed(argv []string, src string, ours bool) (measure, error) {
	b.n++
	dest := filepath.Join(b.work, fmt.Sprintf("thunder-lxc-bench-%d-%d", os.Getpid(), b.n))
	if err := os.Mkdir(dest, 0o755); err != nil {
		return measure{}, err
	}
	b.trash = append(b.trash, dest)
	if ours {
		argv = append(argv, dest)
	}
	syscall.Sync()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "SRC="+src, "DEST="+dest)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return measure{}, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, stderr.String())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return measure{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rssKiB: ru.Maxrss}, nil
}

// clean deletes the comparison's trees, once its timings are over.
func (b *bench) clean() error {
	for _, d := range b.trash {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	b.trash = b.trash[:0]
	syscall.Sync()
	return nil
}

// median is the middle run's figures, each taken apart; of an even
// number of runs, the mean of the two in the middle.
func median(ms []measure) measure {
	pick := func(get func(measure) int64) int64 {
		v := make([]int64, len(ms))
		for i, m := range ms {
			v[i] = get(m)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		if len(v)%2 == 0 {
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		return v[len(v)/2]
	}
	return measure{
		wall:   time.Duration(pick(func(m measure) int64 { return int64(m.wall) })),
		cpu:    time.Duration(pick(func(m measure) int64 { return int64(m.cpu) })),
		rssKiB: pick(func(m measure) int64 { return m.rssKiB }),
	}
}

// print writes the table: ratios are theirs / ours, so above 1 means the
// archive package is faster (or, for memory, smaller).
func (b *bench) print() {
	fmt.Printf("| corpus | input | vs | ours wall | theirs wall | wall ratio | ours CPU | theirs CPU | CPU ratio | ours peak | theirs peak |\n")
	fmt.Printf("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range b.rows {
		fmt.Printf("| %s | %s | `%s` | %.2f s | %.2f s | %.2f× | %.2f s | %.2f s | %.2f× | %d MiB | %d MiB |\n",
			r.corpus, r.input, r.tool, r.ours.wall.Seconds(), r.theirs.wall.Seconds(), ratio(r.theirs.wall, r.ours.wall),
			r.ours.cpu.Seconds(), r.theirs.cpu.Seconds(), ratio(r.theirs.cpu, r.ours.cpu), r.ours.rssKiB>>10, r.theirs.rssKiB>>10)
	}
}

func ratio(theirs, ours time.Duration) float64 {
	if ours == 0 {
		return 0
	}
	return float64(theirs) / float64(ours)
}

func missingTools(names []string) string {
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			return n
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
