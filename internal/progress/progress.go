// Package progress reports how far a long job (an ingest, an index
// rebuild) has got: on a terminal one line redrawn in place with the
// count, the rate and the time left; elsewhere (a log file, a pipe) a plain
// line every few seconds, so logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// How often the line is redrawn on a terminal, and printed elsewhere.
const (
	TerminalEvery = 100 * time.Millisecond
	PlainEvery    = 2 * time.Second
)

// Line is the progress of one job. It is not safe for concurrent use.
type Line struct {
	w           io.Writer
	label, unit string
	total       int
	tty         bool
	now         func() time.Time

	start, last time.Time
	done        int
	shown       int // width of the line on screen, 0 when none
}

// New starts reporting a job of total units (articles, files) on w, its
// lines starting with label. tty draws one line in place (see IsTerminal);
// now is the clock.
func New(w io.Writer, label, unit string, total int, tty bool, now func() time.Time) *Line {
	t := now()
	return &Line{w: w, label: label, unit: unit, total: total, tty: tty, now: now, start: t, last: t}
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Set records that done units are finished, drawing the line when it is
// due.
func (l *Line) Set(done int) {
	l.done = done
	t := l.now()
	every := PlainEvery
	if l.tty {
		every = TerminalEvery
	}
	if t.Sub(l.last) < every || done >= l.total {
		return
	}
	l.last = t
	l.draw(l.Text())
}

// Println prints s on a line of its own, above the progress line on a
// terminal.
func (l *Line) Println(s string) {
	l.clear()
	fmt.Fprintln(l.w, s)
	if l.tty && l.done > 0 && l.done < l.total {
		l.draw(l.Text())
	}
}

// Finish removes the progress line from a terminal; the caller prints the
// job's own summary.
func (l *Line) Finish() { l.clear() }

// Text is the progress as one line: "indexing: 1,200 of 5,000 articles
// (24%) · 850/s · about 4s left".
func (l *Line) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s of %s %s", l.label, thousands(l.done), thousands(l.total), l.unitFor(l.total))
	if l.total > 0 {
		fmt.Fprintf(&b, " (%d%%)", 100*l.done/l.total)
	}
	elapsed := l.now().Sub(l.start)
	if elapsed <= 0 || l.done == 0 {
		return b.String()
	}
	rate := float64(l.done) / elapsed.Seconds()
	fmt.Fprintf(&b, " · %s/s", thousands(int(rate+0.5)))
	if left := l.total - l.done; left > 0 && rate > 0 {
		eta := time.Duration(float64(left) / rate * float64(time.Second))
		fmt.Fprintf(&b, " · about %s left", roughDuration(eta))
	}
	return b.String()
}

func (l *Line) unitFor(n int) string {
	if n == 1 {
		return strings.TrimSuffix(l.unit, "s")
	}
	return l.unit
}

func (l *Line) draw(s string) {
	if !l.tty {
		fmt.Fprintln(l.w, s)
		return
	}
	pad := ""
	if n := len([]rune(s)); n < l.shown {
		pad = strings.Repeat(" ", l.shown-n)
	}
	fmt.Fprint(l.w, "\r"+s+pad)
	l.shown = len([]rune(s))
}

func (l *Line) clear() {
	if l.tty && l.shown > 0 {
		fmt.Fprint(l.w, "\r"+strings.Repeat(" ", l.shown)+"\r")
		l.shown = 0
	}
}

// thousands writes n with commas: 1,234,567.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// roughDuration rounds a time left as people say it: "4s", "2m10s", "1h5m".
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "1s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(10 * time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
