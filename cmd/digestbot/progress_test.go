package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
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

// TestIngestProgressOnALog: a long ingest whose output is not a terminal
// keeps one plain line per file on stdout and reports its progress on
// stderr as plain lines, with no carriage returns.
func TestIngestProgressOnALog(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in")
	for i := range 40 {
		testenv.WriteFile(t, filepath.Join(src, fmt.Sprintf("a%02d.txt", i)), fmt.Sprintf(" date 2024-03-%02d Story %d\n\nThe harbour of town %d reopened after the storm.\n", i%28+1, i, i))
	}
	// A clock that moves a quarter of a second each time it is read.
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out, errb bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: env(map[string]string{"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data")}),
		Now:    func() time.Time { now = now.Add(250 * time.Millisecond); return now },
	}
	if err := m.Run(context.Background(), []string{"ingest", src}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "added  "); n != 40 || !strings.Contains(out.String(), "40 files: 40 added") {
		t.Errorf("stdout has %d added lines:\n%s", n, out.String())
	}
	if !strings.Contains(errb.String(), "ingest: ") || !strings.Contains(errb.String(), " of 40 files (") || !strings.Contains(errb.String(), "/s · about ") ||
		strings.Contains(errb.String(), "\r") || strings.Contains(out.String(), "\r") {
		t.Errorf("no plain progress lines on stderr:\n%s", errb.String())
	}
}
