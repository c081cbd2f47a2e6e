package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/search"
)

func TestSearchPutsMoheFirst(t *testing.T) {
	dir := t.TempDir()
	out, stderr, err := run(t, dir, "search", "border", "police")
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "search index: there is no search index yet; indexing 5 articles from the database") ||
		!strings.Contains(stderr, "search index: indexed 5 articles in ") {
		t.Errorf("first search did not report building the index:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "1. Mohe City in the Arctic Village") {
		t.Fatalf("search border police:\n%s", out)
	}
	if !strings.Contains(out, "**border** **police**") || !strings.HasSuffix(out, "1 article matches \"border police\"\n") {
		t.Errorf("snippet or total missing:\n%s", out)
	}

	// The second search uses the index as it is.
	_, stderr, err = run(t, dir, "search", "border")
	if err != nil || strings.Contains(stderr, "rebuil") {
		t.Errorf("second search: %v\n%s", err, stderr)
	}
}

func TestSearchJSON(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "search", "--json", "--limit", "2", "party", "history")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Query   string
		Total   int
		Page    int
		Results []struct {
			ID, Title, Date, Source, Snippet string
			DatePrecision                    string `json:"date_precision"`
			Score                            float64
		}
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Query != "party history" || res.Total != 3 || res.Page != 1 || len(res.Results) != 2 {
		t.Fatalf("JSON: %+v", res)
	}
	first := res.Results[0]
	if first.Source != "002_517fc5acc2ab6940.txt" || first.Date != "2023-08-08" || first.DatePrecision != "day" ||
		len(first.ID) != 12 || first.Score <= res.Results[1].Score || !strings.Contains(first.Snippet, "**history**") {
		t.Errorf("first result: %+v", first)
	}
	var raw struct {
		Results []map[string]any
	}
	must(t, json.Unmarshal([]byte(out), &raw))
	for _, k := range []string{"id", "title", "date", "date_precision", "source", "score", "snippet"} {
		if _, ok := raw.Results[0][k]; !ok {
			t.Errorf("result lacks %q: %v", k, raw.Results[0])
		}
	}
}

func TestSearchFiltersAndPages(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "search", "party", "--from", "2022-07", "--to", "2022-07")
	if err != nil || !strings.Contains(out, "2022-07-13") || !strings.Contains(out, "1 article dated in July 2022 matches") {
		t.Errorf("date filter: %v\n%s", err, out)
	}
	out, _, err = run(t, dir, "search", "party", "--limit", "2", "--page", "2")
	if err != nil || !strings.HasPrefix(out, "\n3. ") || !strings.Contains(out, "(page 2 of 3; next: --page 3)") {
		t.Errorf("page 2: %v\n%s", err, out)
	}
	out, _, err = run(t, dir, "search", "party", "date:yesterday") // the test clock: 2023-07-04
	if err != nil || !strings.Contains(out, "2023-07-03") {
		t.Errorf("relative date: %v\n%s", err, out)
	}
	out, _, err = run(t, dir, "search", "xylophone")
	if err != nil || out != "no articles match \"xylophone\"\n" {
		t.Errorf("no match: %v\n%q", err, out)
	}
}

func TestSearchBadQueries(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"search"}, "search needs a query"},
		{[]string{"search", "the", "of"}, `search: "the", "of" are all too common to search for`},
		{[]string{"search", "--", "-border"}, "every word is excluded"},
		{[]string{"search", "border", "--from", "someday"}, `date "someday" not understood`},
		{[]string{"search", "border", "--limit", "0"}, "--limit must be from 1 to 100"},
		{[]string{"search", "border", "--page", "0"}, "--page must be 1 or more"},
	} {
		_, _, err := run(t, dir, tt.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want a usage error containing %q", tt.args, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "bleve") {
			t.Errorf("%q: bleve shows through: %v", tt.args, err)
		}
	}
	// An exclusion after -- or inside a quoted query is not a flag.
	for _, args := range [][]string{{"search", "fortress", "--", "-urumqi"}, {"search", "fortress -urumqi"}} {
		out, _, err := run(t, dir, args...)
		if err != nil || !strings.Contains(out, "1. Mohe City") || !strings.Contains(out, "1 article match") {
			t.Errorf("%q: %v\n%s", args, err, out)
		}
	}
	// Stray syntax is searched for literally.
	out, _, err := run(t, dir, "search", `title:Urumqi^2 "fighting fortress`)
	if err != nil || !strings.Contains(out, "1. The general secretary") {
		t.Errorf("stray syntax: %v\n%s", err, out)
	}
}

func TestIngestKeepsTheIndexUpToDate(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, dir, "search", "border"); err != nil { // builds the index
		t.Fatal(err)
	}
	src := filepath.Join(dir, "in")
	must(t, os.MkdirAll(src, 0o755))
	testenv.WriteFile(t, filepath.Join(src, "harbor.txt"), " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday after a week of repairs.\n")
	if _, stderr, err := run(t, dir, "ingest", src); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	out, stderr, err := run(t, dir, "search", "harbor", "repairs")
	if err != nil || !strings.Contains(out, "1. Harbor reopens after storm") || strings.Contains(stderr, "rebuil") {
		t.Errorf("search after ingest: %v\n%s\n%s", err, out, stderr)
	}

	_, stderr, err = run(t, dir, "reindex")
	if err != nil || !strings.Contains(stderr, "search index: rebuild requested; indexing 6 articles from the database") ||
		!strings.Contains(stderr, "search index: indexed 6 articles") {
		t.Errorf("reindex: %v\n%s", err, stderr)
	}
	// A deleted index folder is rebuilt on the next search.
	must(t, os.RemoveAll(filepath.Join(dir, "data", "digestbot", "digestbot.db.index")))
	out, stderr, err = run(t, dir, "search", "harbor")
	if err != nil || !strings.Contains(out, "Harbor reopens") || !strings.Contains(stderr, "there is no search index yet") {
		t.Errorf("after deleting the index: %v\n%s\n%s", err, out, stderr)
	}
}

// Quick commands run with a higher garbage collection target, unless
// GOGC is set; the others keep the default.
func TestQuickCommandsCollectLess(t *testing.T) {
	dir := t.TempDir()
	id := firstHit(t, dir) // loads the sample
	for _, tt := range []struct {
		args []string
		gogc string
		want int
	}{
		{[]string{"search", "border"}, "", quickGCPercent},
		{[]string{"show", "--json", id}, "", quickGCPercent},
		{[]string{"search", "border"}, "50", 0},
		{[]string{"list"}, "", 0},
		{[]string{"stats"}, "", 0},
	} {
		got := 0
		m := &Main{
			Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
			Getenv:       env(map[string]string{"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data"), "GOGC": tt.gogc}),
			Now:          func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) },
			SetGCPercent: func(p int) int { got = p; return 100 },
		}
		if err := m.Run(context.Background(), tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got != tt.want {
			t.Errorf("%v with GOGC=%q: GC percent set to %d, want %d (0: not set)", tt.args, tt.gogc, got, tt.want)
		}
	}
}

// firstHit is the ID of the first article a search for "border" finds in
// the database of dir (the sample corpus on first use).
func firstHit(t *testing.T, dir string) string {
	t.Helper()
	out, stderr, err := run(t, dir, "search", "--json", "border")
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	var res struct{ Results []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) == 0 {
		t.Fatalf("search output %q: %v", out, err)
	}
	return res.Results[0].ID
}

// An estimated total is printed and given in JSON as such.
func TestPrintResultsAbout(t *testing.T) {
	var b strings.Builder
	res := search.Results{Query: `"the common words"`, Total: 4800, About: true, Page: 1, Limit: 10, Hits: []search.Hit{{ID: "abcdef123456", Title: "A result"}}}
	printResults(&b, res)
	if !strings.Contains(b.String(), `about 4800 articles match "\"the common words\""`) {
		t.Errorf("printed:\n%s", b.String())
	}
	js, _ := json.Marshal(searchJSON(res))
	if !strings.Contains(string(js), `"about":true`) {
		t.Errorf("JSON: %s", js)
	}
}
