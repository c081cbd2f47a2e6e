package search

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Carvings of the bone carving", []string{"carv", "bone", "carv"}},
		{"Border PATROLS patrol", []string{"border", "patrol", "patrol"}},
		{"Mohe’s 4.936 million in 2022", []string{"mohe", "4.936", "million", "2022"}},
		{"无人机巡逻", []string{"无人", "人机", "机巡", "巡逻"}},
		{"ＵＲＵＭＱＩ", []string{"urumqi"}},
		{"the of and", []string{}},
		{"", []string{}},
	}
	for _, tt := range tests {
		if got := Terms(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStemCacheSameTerms: the cached analyzer used for indexing gives the
// same terms as the plain one used for queries and Terms.
func TestStemCacheSameTerms(t *testing.T) {
	a, err := getAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	cached := a.withStemCache()
	for _, f := range corpus.Sample() {
		data, err := f.Read(0)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second time from the cache
			want, got := a.full.Analyze(data), cached.full.Analyze(data)
			if len(want) != len(got) {
				t.Fatalf("%s: %d terms cached, %d not", f.Name, len(got), len(want))
			}
			for i := range want {
				if string(want[i].Term) != string(got[i].Term) || want[i].Position != got[i].Position {
					t.Fatalf("%s: term %d: cached %q at %d, not %q at %d", f.Name, i, got[i].Term, got[i].Position, want[i].Term, want[i].Position)
				}
			}
		}
	}
}

// progressLog records rebuilds.
type progressLog struct {
	mu      sync.Mutex
	reasons []string
	last    Progress
}

func (p *progressLog) report(pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.Done == 0 && !pr.Finished {
		p.reasons = append(p.reasons, pr.Reason)
	}
	p.last = pr
}

func (p *progressLog) rebuilds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reasons...)
}

func openLogged(t *testing.T, db Store, dir string, p *progressLog) *Index {
	t.Helper()
	ix, err := Open(context.Background(), dir, db, Options{Logger: testLogger(t), Progress: p.report, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func mustFind(t *testing.T, ix *Index, q string, want int) {
	t.Helper()
	res, err := ix.Search(context.Background(), q, Request{})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	if res.Total != want {
		t.Fatalf("Search(%q): %d results, want %d\n%s", q, res.Total, want, describe(res))
	}
}

func TestOpenRebuildsOnlyWhenNeeded(t *testing.T) {
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	var p progressLog

	ix := openLogged(t, db, dir, &p)
	if got := p.rebuilds(); len(got) != 1 || got[0] != "there is no search index yet" {
		t.Fatalf("first open: rebuilds %q", got)
	}
	if !p.last.Finished || p.last.Done != 6 || p.last.Total != 6 {
		t.Errorf("last progress %+v, want 6 of 6 finished", p.last)
	}
	mustFind(t, ix, "border police", 1)
	must(t, ix.Close())

	// A healthy index is opened as it is.
	ix = openLogged(t, db, dir, &p)
	if got := p.rebuilds(); len(got) != 1 {
		t.Errorf("reopen rebuilt: %q", got)
	}
	mustFind(t, ix, "border police", 1)
	must(t, ix.Close())

	// An index from an older layout is rebuilt.
	bi, err := bleve.OpenUsing(dir, map[string]any{"unsafe_batch": false})
	must(t, err)
	must(t, bi.SetInternal(keyMapping, []byte("0")))
	must(t, bi.Close())
	ix = openLogged(t, db, dir, &p)
	if got := p.rebuilds(); len(got) != 2 || !strings.Contains(got[1], "layout 0") {
		t.Errorf("old layout: rebuilds %q", got)
	}
	must(t, ix.Close())

	// An index of another database is rebuilt.
	other := testenv.OpenDB(t)
	loadText(t, other, "other.txt", " date 2024-01-02 Harbor reopens\n\nThe harbor reopened after the storm.\n")
	ix = openLogged(t, other, dir, &p)
	if got := p.rebuilds(); len(got) != 3 || got[2] != "the search index belongs to another database" {
		t.Errorf("other database: rebuilds %q", got)
	}
	mustFind(t, ix, "harbor", 1)
	mustFind(t, ix, "border police", 0)
	must(t, ix.Close())

	// Unreadable files are rebuilt.
	must(t, os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{"), 0o644))
	ix = openLogged(t, other, dir, &p)
	if got := p.rebuilds(); len(got) != 4 || got[3] != "the search index could not be read" {
		t.Errorf("damaged: rebuilds %q", got)
	}
	mustFind(t, ix, "harbor", 1)
	must(t, ix.Close())

	// Asked to, Open rebuilds a healthy index.
	ix, err = Open(context.Background(), dir, other, Options{Logger: testLogger(t), Progress: p.report, Rebuild: true})
	must(t, err)
	if got := p.rebuilds(); len(got) != 5 || got[4] != "rebuild requested" {
		t.Errorf("requested: rebuilds %q", got)
	}
	must(t, ix.Close())
	if exists(dir + ".new") {
		t.Errorf("the rebuild's folder %s is left behind", dir+".new")
	}
}

// loadText stores one article file with the given text.
func loadText(t *testing.T, db *store.DB, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(path, []byte(text), 0o644))
	files, _ := corpus.Collect([]string{path})
	var id string
	_, err := ingest.Run(context.Background(), db, files, ingest.Options{}, func(r ingest.Result) {
		if r.Status == ingest.Rejected {
			t.Fatalf("%s rejected: %s", name, r.Reason)
		}
		id = r.Article.ID
	})
	must(t, err)
	return id
}

func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	var p progressLog
	ix := openLogged(t, db, dir, &p)
	defer func() { ix.Close() }()

	id := loadText(t, db, "harbor.txt", " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday.\n")
	mustFind(t, ix, "harbor", 0) // not yet caught up
	must(t, ix.CatchUp(ctx))
	mustFind(t, ix, "harbor", 1)

	must(t, db.Delete(ctx, id))
	must(t, ix.CatchUp(ctx))
	mustFind(t, ix, "harbor", 0)

	// Changes made while the index is closed are applied by Open, without
	// a rebuild.
	must(t, ix.Close())
	id = loadText(t, db, "harbor2.txt", " date 2024-03-16 Harbor busy again\n\nShips returned to the harbor.\n")
	must(t, db.Delete(ctx, mustID(t, ix, db, "fighting fortress")))
	ix = openLogged(t, db, dir, &p)
	if got := p.rebuilds(); len(got) != 1 {
		t.Errorf("rebuilt on reopen: %q", got)
	}
	mustFind(t, ix, "harbor", 1)
	mustFind(t, ix, `"fighting fortress"`, 0)
	if ix.seq == 0 {
		t.Error("sequence not recorded")
	}
	_ = id
}

// mustID finds the ID of the stored article whose body contains text.
func mustID(t *testing.T, _ *Index, db *store.DB, text string) string {
	t.Helper()
	arts, err := db.All(context.Background())
	must(t, err)
	for _, a := range arts {
		if strings.Contains(a.Body, text) {
			return a.ID
		}
	}
	t.Fatalf("no article contains %q", text)
	return ""
}

// TestSearchDuringCatchUp runs searches while articles are added and
// indexed (go test -race finds unsynchronised access).
func TestSearchDuringCatchUp(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	ix := openIndex(t, db, "")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := ix.Search(ctx, "party history", Request{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 5 {
		loadText(t, db, "n.txt", " date 2024-03-15 Harbor news "+strings.Repeat("x", i+1)+"\n\nThe party history harbor.\n")
		must(t, ix.CatchUp(ctx))
	}
	must(t, ix.Rebuild(ctx))
	close(stop)
	wg.Wait()
	mustFind(t, ix, "harbor", 5)
}

func TestSearchErrorsHideTheIndex(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	must(t, ix.Close())
	_, err := ix.Search(context.Background(), "border", Request{})
	if err == nil || strings.Contains(err.Error(), "bleve") {
		t.Errorf("search on a closed index: %v", err)
	}
	var qe *QueryError
	if errors.As(err, &qe) {
		t.Errorf("a closed index is not the query's fault: %v", err)
	}
	if err := ix.CatchUp(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("CatchUp after Close: %v", err)
	}
	if err := ix.Rebuild(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("Rebuild after Close: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A searching-only open of an up-to-date index writes nothing and refuses
// changes; one that is behind is caught up as usual.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	must(t, openIndex(t, db, dir).Close())
	root := filepath.Join(dir, "store", "root.bolt")
	before, err := os.ReadFile(root)
	must(t, err)
	files, err := os.ReadDir(filepath.Join(dir, "store"))
	must(t, err)

	opts := Options{Logger: testLogger(t), Now: func() time.Time { return testNow }, ReadOnly: true}
	ix, err := Open(ctx, dir, db, opts)
	must(t, err)
	if !ix.readOnly {
		t.Fatal("an up-to-date index was not opened read-only")
	}
	mustFind(t, ix, "border police", 1)
	time.Sleep(200 * time.Millisecond) // bleve's background writer would run meanwhile
	if err := ix.CatchUp(ctx); !errors.Is(err, errReadOnly) {
		t.Errorf("CatchUp on a read-only index: %v, want errReadOnly", err)
	}
	if err := ix.Rebuild(ctx); !errors.Is(err, errReadOnly) {
		t.Errorf("Rebuild on a read-only index: %v, want errReadOnly", err)
	}
	must(t, ix.Close())
	after, err := os.ReadFile(root)
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Error("opening and closing read-only changed root.bolt")
	}
	again, err := os.ReadDir(filepath.Join(dir, "store"))
	must(t, err)
	if len(again) != len(files) {
		t.Errorf("files in the index: %d before, %d after", len(files), len(again))
	}

	// Behind the database: caught up, and writable.
	loadText(t, db, "harbor.txt", " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday.\n")
	ix, err = Open(ctx, dir, db, opts)
	must(t, err)
	defer ix.Close()
	if ix.readOnly {
		t.Error("an index behind the database was opened read-only")
	}
	mustFind(t, ix, "harbor", 1)
}

func TestBulkLoad(t *testing.T) {
	for _, tc := range []struct {
		changes int
		docs    int64
		want    bool
	}{
		{10, 0, false},      // a few new articles: caught up
		{1001, 0, true},     // a first big ingest: rebuilt
		{1001, 5000, false}, // many, but fewer than the index holds
		{6000, 5000, true},
		{1000, 0, false}, // not more than 4 batches
	} {
		if got := bulkLoad(tc.changes, tc.docs, 250); got != tc.want {
			t.Errorf("bulkLoad(%d changes, %d docs) = %v, want %v", tc.changes, tc.docs, got, tc.want)
		}
	}
}

// A backlog bigger than the index is applied by a rebuild.
func TestCatchUpBulkLoadRebuilds(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	var p progressLog
	ix, err := Open(ctx, filepath.Join(t.TempDir(), "index"), db, Options{Logger: testLogger(t), Progress: p.report, BatchSize: 1})
	must(t, err)
	defer ix.Close()
	_, err = ingest.Run(ctx, db, corpus.Sample(), ingest.Options{}, func(ingest.Result) {})
	must(t, err)
	must(t, ix.CatchUp(ctx))
	if got := p.rebuilds(); len(got) != 2 || got[1] != "many new articles in the database" {
		t.Errorf("rebuilds %q, want the first build and then a bulk load", got)
	}
	mustFind(t, ix, "border police", 1)
	if ix.stats.Docs != int64(len(corpus.Sample())) {
		t.Errorf("stats count %d articles, want %d", ix.stats.Docs, len(corpus.Sample()))
	}
	// A few more are caught up in place.
	loadText(t, db, "harbor.txt", " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday.\n")
	must(t, ix.CatchUp(ctx))
	if got := p.rebuilds(); len(got) != 2 {
		t.Errorf("one new article rebuilt the index: %q", got)
	}
	mustFind(t, ix, "harbor", 1)
}

// Without snippets, hits come back the same, read without their bodies.
func TestSearchWithoutSnippets(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	ctx := context.Background()
	with, err := ix.Search(ctx, "border police", Request{})
	must(t, err)
	without, err := ix.Search(ctx, "border police", Request{NoSnippets: true})
	must(t, err)
	if len(with.Hits) == 0 || len(with.Hits) != len(without.Hits) || with.Total != without.Total {
		t.Fatalf("%d hits of %d with snippets, %d of %d without", len(with.Hits), with.Total, len(without.Hits), without.Total)
	}
	for i, h := range without.Hits {
		w := with.Hits[i]
		if h.ID != w.ID || h.Title != w.Title || h.URL != w.URL || h.Date != w.Date || h.Snippet.Marked("", "") != "" {
			t.Errorf("hit %d without snippets: %+v, with: %+v", i, h, w)
		}
	}
}
