package main

import (
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/search"
)

// TestIndexProgressPlainLines: building the index reports, when output is
// not a terminal, a start line, a plain line with count, rate and time
// left every two seconds, and a final line.
func TestIndexProgressPlainLines(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	p := progressPrinter(&out, func() time.Time { return now })
	p(search.Progress{Reason: "there is no search index yet", Total: 10000})
	for done := 500; done < 10000; done += 500 {
		now = now.Add(time.Second) // 500 articles a second
		p(search.Progress{Reason: "there is no search index yet", Done: done, Total: 10000})
	}
	p(search.Progress{Reason: "there is no search index yet", Done: 10000, Total: 10000, Finished: true, Elapsed: 20 * time.Second})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 11 || strings.Contains(out.String(), "\r") {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	for _, w := range []string{"indexing 10000 articles from the database", "search index: 1,000 of 10,000 articles (10%) · 500/s · about 18s left", "search index: indexed 10000 articles in 20s"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("progress lacks %q:\n%s", w, out.String())
		}
	}
}
