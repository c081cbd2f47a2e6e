package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/digestbot/digestbot/internal/apperr"
	"github.com/digestbot/digestbot/internal/progress"
	"github.com/digestbot/digestbot/internal/termsafe"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

func searchCommand() command {
	var (
		asJSON      bool
		from, to    string
		limit, page int
	)
	return command{
		name: "search", args: "QUERY…", dashWords: true, quick: true,
		summary: "Find articles by keyword, best match first.\n\n" +
			"All the words must appear, in any form (patrols finds patrol); when no article has\n" +
			"them all, articles with any of them are listed. Also: \"exact phrase\", -excluded,\n" +
			"prefix*, and from:WHEN, to:WHEN, date:WHEN in the query, where WHEN is what\n" +
			"`digestbot date` takes (2023-07, 2023-01-01..2023-03-31, last-week, …).\n" +
			"Put an -excluded word after -- or quote the query, so it is not taken for a flag:\n" +
			"digestbot search fortress -- -urumqi, or digestbot search 'fortress -urumqi'.\n" +
			"Each result shows the passage that best matches, with the words found in **bold**.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.StringVar(&from, "from", "", "only articles dated from the start of `WHEN` on")
			fs.StringVar(&to, "to", "", "only articles dated up to the end of `WHEN`")
			fs.IntVar(&limit, "limit", search.DefaultLimit, fmt.Sprintf("results per page, 1 to %d", search.MaxLimit))
			fs.IntVar(&page, "page", 1, "page of results to show, from 1")
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) (err error) {
			q := strings.TrimSpace(strings.Join(args, " "))
			if q == "" {
				return usageError{"search needs a query, e.g. digestbot search border police"}
			}
			if limit < 1 || limit > search.MaxLimit {
				return usageError{fmt.Sprintf("--limit must be from 1 to %d, not %d", search.MaxLimit, limit)}
			}
			if page < 1 {
				return usageError{fmt.Sprintf("--page must be 1 or more, not %d", page)}
			}
			ix, err := m.openSearchOnly(ctx)
			if err != nil {
				return err
			}
			defer func() {
				if cerr := ix.Close(); cerr != nil {
					err = errors.Join(err, cerr)
				}
			}()
			res, err := ix.Search(ctx, q, search.Request{
				From: from, To: to, Limit: limit, Page: page, Now: m.Now().In(m.config.Location()),
			})
			if apperr.Is(err, apperr.Invalid) {
				return usageError{"search: " + apperr.MessageOf(err)}
			}
			if err != nil {
				return err
			}
			// One write, not one per line.
			out := bufio.NewWriter(m.Stdout)
			if asJSON {
				err = writeJSON(out, searchJSON(res))
			} else {
				printResults(out, res)
			}
			return errors.Join(err, out.Flush())
		},
	}
}

// snippetMark surrounds the matched words of a snippet (Markdown bold, as
// Discord shows it).
const snippetMark = "**"

type searchHit struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	Date          string  `json:"date"`
	DatePrecision string  `json:"date_precision"`
	Source        string  `json:"source"`
	URL           string  `json:"url"`
	Score         float64 `json:"score"`
	Snippet       string  `json:"snippet"`
}

type searchResult struct {
	Query string `json:"query"`
	Total int    `json:"total"`
	// About is true when Total is an estimate.
	About bool `json:"about,omitempty"`
	Page  int  `json:"page"`
	// AnyWords is true when no article has all the words and the results
	// have some of them.
	AnyWords bool        `json:"any_words"`
	Results  []searchHit `json:"results"`
}

func searchJSON(res search.Results) searchResult {
	out := searchResult{Query: res.Query, Total: res.Total, About: res.About, Page: res.Page, AnyWords: res.AnyWords, Results: []searchHit{}}
	for _, h := range res.Hits {
		out.Results = append(out.Results, searchHit{
			ID: h.ID, Title: h.Title, Date: h.Date.String(), DatePrecision: h.Date.Precision.String(),
			Source: h.Source, URL: h.URL, Score: math.Round(h.Score*1e4) / 1e4, Snippet: h.Snippet.Marked(snippetMark, snippetMark),
		})
	}
	return out
}

func printResults(w io.Writer, res search.Results) {
	if len(res.Ignored) > 0 {
		fmt.Fprintf(w, "(too common to search for: %s)\n", strings.Join(res.Ignored, ", "))
	}
	within := ""
	if r := res.Within; r != nil {
		within = " dated " + r.Phrase()
	}
	if res.Total == 0 {
		fmt.Fprintf(w, "no articles%s match %q\n", within, res.Query)
		return
	}
	if res.AnyWords {
		fmt.Fprintln(w, "No article has all the words; these have some of them.")
	}
	first := (res.Page-1)*res.Limit + 1
	for i, h := range res.Hits {
		d := h.Date.String()
		if d == "" {
			d = "undated"
		}
		fmt.Fprintf(w, "\n%d. %s\n   %s  %s  %s\n", first+i, clip(h.Title, 100), d, h.ID, termsafe.Name(h.Source))
		if h.URL != "" {
			fmt.Fprintf(w, "   %s\n", termsafe.Name(h.URL))
		}
		if s := h.Snippet.Marked(snippetMark, snippetMark); s != "" {
			fmt.Fprintf(w, "   %s\n", s)
		}
	}
	noun, verb := "articles", "match"
	if res.Total == 1 {
		noun, verb = "article", "matches"
	}
	about := ""
	if res.About {
		about = "about "
	}
	fmt.Fprintf(w, "\n%s%d %s%s %s %q", about, res.Total, noun, within, verb, res.Query)
	switch pages := res.Pages(); {
	case len(res.Hits) == 0:
		fmt.Fprintf(w, "; page %d is past the last (%d)", res.Page, pages)
	case pages > 1 && res.Page < pages:
		fmt.Fprintf(w, " (page %d of %d; next: --page %d)", res.Page, pages, res.Page+1)
	case pages > 1:
		fmt.Fprintf(w, " (page %d of %d)", res.Page, pages)
	}
	fmt.Fprintln(w)
}

func reindexCommand() command {
	return command{
		name: "reindex", args: "",
		summary: "Rebuild the search index from the database.\n\n" +
			"The index lives beside the database (FILE.index) and is kept up to date\n" +
			"automatically; a missing or damaged one is rebuilt on its own. Use this to\n" +
			"rebuild it anyway.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"reindex takes no arguments"}
			}
			db, err := m.openDB(ctx, false)
			if err != nil {
				return err
			}
			ix, err := m.openIndex(ctx, db, true)
			if err != nil {
				return err
			}
			return ix.Close()
		},
	}
}

// indexDir is where the search index of the database at dbPath lives.
func indexDir(dbPath string) string { return dbPath + ".index" }

// openSearch opens the database (loading the default corpus into an empty
// one) and its search index, caught up. Close the index when done; Main
// closes the database.
func (m *Main) openSearch(ctx context.Context) (*store.DB, *search.Index, error) {
	db, err := m.openDB(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	ix, err := m.openIndex(ctx, db, false)
	if err != nil {
		return nil, nil, err
	}
	return db, ix, nil
}

// openIndex opens the search index of db, catching it up (or rebuilding
// it, with progress lines on stderr).
func (m *Main) openIndex(ctx context.Context, db *store.DB, rebuild bool) (*search.Index, error) {
	return search.Open(ctx, indexDir(db.Path()), db, m.indexOptions(rebuild))
}

func (m *Main) indexOptions(rebuild bool) search.Options {
	return search.Options{
		Logger:   m.logger,
		Progress: progressPrinter(m.Stderr, m.Now),
		Now:      func() time.Time { return m.Now().In(m.config.Location()) },
		Rebuild:  rebuild,
	}
}

// openSearchOnly is openSearch for a command that only searches: the
// database, and an index that is up to date, are opened read-only, so the
// command writes nothing.
func (m *Main) openSearchOnly(ctx context.Context) (*search.Index, error) {
	db, err := m.openDBReadOnly(ctx)
	if err != nil {
		return nil, err
	}
	opts := m.indexOptions(false)
	opts.ReadOnly = true
	return search.Open(ctx, indexDir(db.Path()), db, opts)
}

// catchUpIndex brings the search index up to date with the database after
// articles were loaded.
func (m *Main) catchUpIndex(ctx context.Context) error {
	if m.db == nil {
		return nil
	}
	ix, err := m.openIndex(ctx, m.db, false)
	if err != nil {
		return err
	}
	return ix.Close()
}

// progressPrinter reports indexing on w: a line when it starts, the count,
// rate and time left while it runs (redrawn in place on a terminal, a line
// every few seconds elsewhere), and a line when it is done.
func progressPrinter(w io.Writer, now func() time.Time) func(search.Progress) {
	var line *progress.Line
	return func(p search.Progress) {
		switch {
		case p.Finished:
			if line != nil {
				line.Finish()
			}
			fmt.Fprintf(w, "search index: indexed %s in %s\n", countNoun(p.Total, "article"), p.Elapsed.Round(10*time.Millisecond))
		case p.Done == 0 || line == nil:
			fmt.Fprintf(w, "search index: %s; indexing %s from the database\n", p.Reason, countNoun(p.Total, "article"))
			line = progress.New(w, "search index", "articles", p.Total, progress.IsTerminal(w), now)
		default:
			line.Set(p.Done)
		}
	}
}
