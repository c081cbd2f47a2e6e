package progress

import (
	"strings"
	"testing"
	"time"
)

// clock is a hand-moved clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }
func lines(s string) []string        { return strings.Split(strings.TrimRight(s, "\n"), "\n") }
func count(s, sub string) int        { return strings.Count(s, sub) }
func mustContain(t *testing.T, s, w string) {
	t.Helper()
	if !strings.Contains(s, w) {
		t.Errorf("%q lacks %q", s, w)
	}
}

func TestPlainLinesEveryFewSeconds(t *testing.T) {
	c := newClock()
	var out strings.Builder
	l := New(&out, "ingest", "files", 5000, false, c.now)
	for i := 1; i <= 5000; i++ {
		c.add(time.Millisecond) // 1,000 files a second
		l.Set(i)
		if i == 2500 {
			l.Println("rejected  x.txt: empty file")
		}
	}
	l.Finish()
	got := lines(out.String())
	// Five seconds of work: a line at 2 s and 4 s, and the printed line.
	if len(got) != 3 || strings.Contains(out.String(), "\r") {
		t.Fatalf("plain output:\n%s", out.String())
	}
	mustContain(t, got[0], "ingest: 2,000 of 5,000 files (40%) · 1,000/s · about 3s left")
	mustContain(t, got[1], "rejected  x.txt")
	mustContain(t, got[2], "4,000 of 5,000 files (80%)")
}

func TestTerminalLineRedrawnInPlace(t *testing.T) {
	c := newClock()
	var out strings.Builder
	l := New(&out, "indexing", "articles", 1000, true, c.now)
	for i := 1; i <= 1000; i++ {
		c.add(time.Millisecond)
		l.Set(i)
		if i == 500 {
			l.Println("a line of its own")
		}
	}
	l.Finish()
	s := out.String()
	if n := count(s, "\n"); n != 1 {
		t.Errorf("%d newlines on a terminal, want 1 (the printed line):\n%q", n, s)
	}
	if n := count(s, "\r"); n < 9 {
		t.Errorf("line redrawn %d times, want about every 100ms:\n%q", n, s)
	}
	mustContain(t, s, "indexing: 900 of 1,000 articles (90%) · 1,000/s · about 1s left")
	// Finish leaves the cursor on an empty line.
	if !strings.HasSuffix(s, "\r") {
		t.Errorf("not cleared at the end: %q", s[len(s)-20:])
	}
}

func TestText(t *testing.T) {
	c := newClock()
	l := New(nil, "ingest", "files", 1, false, c.now)
	if got := l.Text(); got != "ingest: 0 of 1 file (0%)" {
		t.Errorf("Text() = %q", got)
	}
	for d, want := range map[time.Duration]string{
		300 * time.Millisecond:          "1s",
		42 * time.Second:                "42s",
		2*time.Minute + 14*time.Second:  "2m10s",
		time.Hour + 5*time.Minute + 3e9: "1h5m",
	} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%s) = %q, want %q", d, got, want)
		}
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
}
