package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/thunder-lxc/thunder-lxc/provision"
)

// plainEvery is how often --progress always writes a line when stderr is
// not a terminal: often enough to show a build is alive, rarely enough
// for a log file.
var plainEvery = 5 * time.Second

// progressDisplay shows on stderr how far copying a rootfs has come: on a
// terminal a bar (bytes of the total, percentage, rate and time left when
// the source is a file; bytes and rate for a stream), with --progress
// always and no terminal a plain line every plainEvery, else nothing.
type progressDisplay struct {
	what string
	w    io.Writer
	// bar is the terminal's bar, else nil: plain lines.
	bar      *progressbar.ProgressBar
	terminal bool

	started, lastLine time.Time
	last              provision.Progress
}

func (o *outputFlags) progressDisplay(cmd *cobra.Command, what string) *progressDisplay {
	w := cmd.ErrOrStderr()
	f, ok := w.(*os.File)
	terminal := ok && term.IsTerminal(int(f.Fd()))
	if o.progress == "never" || (o.progress == "auto" && !terminal) {
		return &progressDisplay{}
	}
	return &progressDisplay{what: what, w: w, terminal: terminal}
}

// update is the Progress callback; it does nothing when nothing is shown.
// A new total, or a count that went back, is the copy of the next
// container's rootfs: it gets a display of its own.
func (p *progressDisplay) update(now provision.Progress) {
	if p.w == nil {
		return
	}
	if p.started.IsZero() || now.Total != p.last.Total || now.Done < p.last.Done {
		p.finish()
		p.started, p.lastLine = time.Now(), time.Now()
		if p.terminal {
			p.bar = newBar(p.w, p.what, now.Total)
		}
	}
	p.last = now
	if p.bar != nil {
		p.bar.Set64(now.Done)
		return
	}
	if time.Since(p.lastLine) >= plainEvery {
		p.line(false)
	}
}

// finish ends the current display: the bar at its end, or a last line.
func (p *progressDisplay) finish() {
	switch {
	case p.started.IsZero():
	case p.bar != nil:
		if p.last.Total > 0 {
			p.bar.Set64(p.last.Total)
		}
		p.bar.Finish()
		p.bar = nil
	default:
		p.line(true)
	}
	p.started = time.Time{}
}

// newBar is the terminal's bar: with a total, bytes done of it, the
// percentage, the rate and the time left; without, a spinner with bytes
// and rate. It stays on the screen when done, a record of the copy.
func newBar(w io.Writer, what string, total int64) *progressbar.ProgressBar {
	options := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	}
	if total > 0 {
		options = append(options,
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(20),
		)
	} else {
		total = -1
		options = append(options, progressbar.OptionSpinnerType(14))
	}
	return progressbar.NewOptions64(total, options...)
}

// line writes one plain line: "unpacking rootfs: 120 MB of 340 MB (35%),
// 24 MB/s, about 9s left", or for a stream "unpacking rootfs: 120 MB,
// 24 MB/s".
func (p *progressDisplay) line(done bool) {
	elapsed := time.Since(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.last.Done) / elapsed.Seconds()
	}
	text := p.what + ": " + byteCount(p.last.Done)
	if p.last.Total > 0 {
		text += fmt.Sprintf(" of %s (%d%%)", byteCount(p.last.Total), p.last.Done*100/p.last.Total)
	}
	text += ", " + byteCount(int64(rate)) + "/s"
	switch {
	case done:
		text += ", done in " + elapsed.Round(time.Second).String()
	case p.last.Total > 0 && rate > 0:
		left := time.Duration(float64(p.last.Total-p.last.Done) / rate * float64(time.Second))
		text += ", about " + left.Round(time.Second).String() + " left"
	}
	fmt.Fprintln(p.w, text)
	p.lastLine = time.Now()
}

// byteCount writes n in decimal units, as the bar does: 24 MB, 1.2 GB.
func byteCount(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	value, prefix := float64(n), ""
	for _, p := range []string{"kB", "MB", "GB", "TB"} {
		value, prefix = value/unit, p
		if value < unit {
			break
		}
	}
	if value < 10 {
		return fmt.Sprintf("%.1f %s", value, prefix)
	}
	return fmt.Sprintf("%.0f %s", value, prefix)
}
