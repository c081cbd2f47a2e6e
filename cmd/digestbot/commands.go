package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/progress"
	"github.com/digestbot/digestbot/internal/termsafe"
	"github.com/digestbot/digestbot/store"
)

func ingestCommand() command {
	var asJSON bool
	return command{
		name: "ingest", args: "[PATH…]",
		summary: "Load article files into the database.\n\n" +
			"PATHs are files or folders (searched recursively for .txt, .md and .html files).\n" +
			"With no PATH, loads the configured corpus folders, or the embedded sample corpus.\n" +
			"Prints one line per file (added, updated, unchanged, duplicate, rejected) and a total;\n" +
			"exits with status 1 when any file was rejected, after loading all the others.",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print one JSON object per file") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			var files []corpus.File
			var errs []error
			if len(args) == 0 {
				files, _ = m.defaultFiles()
			} else {
				files, errs = corpus.Collect(args)
			}
			if _, err := m.openDB(ctx, false); err != nil {
				return err
			}
			_, err := m.ingest(ctx, files, errs, m.Stdout, asJSON)
			return errors.Join(err, m.catchUpIndex(ctx))
		},
	}
}

// ingestLine is the --json form of one file's result.
type ingestLine struct {
	File   string `json:"file"`
	Status string `json:"status"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title,omitempty"`
	// TitleFrom and DateFrom name the rules that found the title and the
	// date ("og:title", "front-matter", "subject"; "meta-tag", "dateline",
	// "file-name", "none"), for checking how a file was read.
	TitleFrom     string `json:"title_from,omitempty"`
	Date          string `json:"date,omitempty"`
	DatePrecision string `json:"date_precision,omitempty"`
	DateFrom      string `json:"date_from,omitempty"`
	URL           string `json:"url,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// ingest loads files, printing a line per file to out, and returns the
// counts. pathErrs are paths that could not even be listed; they count as
// rejected. The error wraps errRejected when any file was rejected.
func (m *Main) ingest(ctx context.Context, files []corpus.File, pathErrs []error, out io.Writer, asJSON bool) (ingest.Summary, error) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	// Progress: on the terminal the file lines go to, one line kept below
	// them; else on stderr (redrawn there when it is a terminal, a plain
	// line every few seconds when it is a log).
	var prog *progress.Line
	if !asJSON && progress.IsTerminal(out) {
		prog = progress.New(out, "ingest", "files", len(files), true, m.Now)
	} else {
		prog = progress.New(m.Stderr, "ingest", "files", len(files), progress.IsTerminal(m.Stderr), m.Now)
	}
	done := 0
	print := func(l ingestLine) {
		if asJSON {
			_ = enc.Encode(l)
			return
		}
		// A file name may hold a newline or an escape sequence: shown
		// quoted, it can neither split the line nor drive the terminal.
		l.File, l.Reason = termsafe.Name(l.File), termsafe.Text(l.Reason)
		var text string
		switch {
		case l.Status == string(ingest.Rejected):
			text = fmt.Sprintf("%-9s  %s: %s", l.Status, l.File, l.Reason)
		case l.Reason != "":
			text = fmt.Sprintf("%-9s  %s  %s  (%s)", l.Status, l.File, l.ID, l.Reason)
		default:
			text = fmt.Sprintf("%-9s  %s  %s  %-10s  %s", l.Status, l.File, l.ID, l.Date, clip(l.Title, 60))
		}
		if progress.IsTerminal(out) {
			prog.Println(text)
		} else {
			fmt.Fprintln(out, text)
		}
	}
	rejected := 0
	for _, err := range pathErrs {
		rejected++
		line := ingestLine{Status: string(ingest.Rejected), Reason: err.Error()}
		var fe *corpus.FileError
		if errors.As(err, &fe) {
			line.File, line.Reason = displayPath(fe.File), fe.Err.Error()
		}
		print(line)
	}
	sum, err := ingest.Run(ctx, m.db, files, ingest.Options{MaxBytes: m.config.Corpus.MaxFileBytes}, func(r ingest.Result) {
		l := ingestLine{File: displayPath(r.File.Path), Status: string(r.Status), Reason: r.Reason}
		if r.Status != ingest.Rejected {
			l.ID, l.Title, l.URL = r.Article.ID, r.Article.Title, r.Article.URL
			if r.Article.TitleFrom != corpus.TitleUnknown {
				l.TitleFrom = r.Article.TitleFrom.String()
			}
			l.Date, l.DatePrecision = r.Article.Date.String(), r.Article.Date.Precision.String()
			l.DateFrom = r.Article.Date.From.String()
		}
		print(l)
		done++
		prog.Set(done)
	})
	prog.Finish()
	sum[ingest.Rejected] += rejected
	if !asJSON {
		fmt.Fprintln(out, summaryLine(sum))
	}
	if err != nil {
		return sum, err
	}
	if n := sum[ingest.Rejected]; n > 0 {
		return sum, fmt.Errorf("%w: %s", errRejected, rejectedCount(n, len(files)+len(pathErrs)))
	}
	return sum, nil
}

func summaryLine(sum ingest.Summary) string {
	total := 0
	var parts []string
	for _, s := range []store.Status{store.Added, store.Updated, store.Unchanged, store.Duplicate, ingest.Rejected} {
		total += sum[s]
		if sum[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", sum[s], s))
		}
	}
	if total == 0 {
		return "no files"
	}
	return fmt.Sprintf("%s: %s", countNoun(total, "file"), strings.Join(parts, ", "))
}

// rejectedCount says how many of the files were rejected: "all 3 files",
// "the only file", "2 of 5 files (the other 3 were loaded)".
func rejectedCount(n, total int) string {
	switch {
	case total == 1:
		return "the only file was rejected"
	case n == total:
		return fmt.Sprintf("all %d files were rejected", total)
	}
	verb := "were"
	if n == 1 {
		verb = "was"
	}
	others := fmt.Sprintf("the other %d were loaded", total-n)
	if total-n == 1 {
		others = "the other one was loaded"
	}
	return fmt.Sprintf("%d of %d files %s rejected (%s)", n, total, verb, others)
}

// displayPath shows a path relative to the working folder when it is
// inside it.
func displayPath(p string) string {
	if strings.HasPrefix(p, "sample:") {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// clip shortens s to at most n characters, at a word boundary, with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

func checkConfigCommand() command {
	return command{
		name: "check-config", args: "FILE",
		summary: "Validate a configuration file and print every setting it gives, each digest with its next three run times, and warnings (a corpus folder that does not exist).",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"check-config needs exactly one FILE"}
			}
			c, err := LoadConfig(args[0], m.Getenv)
			if err != nil {
				return err
			}
			return printConfig(m.Stdout, args[0], c, m.Getenv, m.Now())
		},
	}
}
