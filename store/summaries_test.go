package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// derivedDB opens a new database for the tests of derived data.
func derivedDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "derived.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// textArticle is an article whose ID and hash follow its body.
func textArticle(body string) corpus.Article {
	sum := sha256.Sum256([]byte(body))
	h := hex.EncodeToString(sum[:])
	return corpus.Article{ID: h[:12], Hash: h, Title: body, Body: body, Source: h[:6] + ".txt"}
}

func storeText(t *testing.T, db *store.DB, path string, a corpus.Article) store.Outcome {
	t.Helper()
	out, err := db.Put(context.Background(), []store.File{{Path: path, RawHash: a.Hash, Article: a}})
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func words(a corpus.Article) []string { return strings.Fields(a.Body) }

func TestSummaryCache(t *testing.T) {
	ctx := context.Background()
	db := derivedDB(t)
	// A fresh database has no cache bucket: reads find nothing.
	got, err := db.Summaries(ctx, "p1", []string{"h1"})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty cache: %v %v", got, err)
	}
	a := textArticle("harbor reopens after storm")
	storeText(t, db, "a.txt", a)
	if err := db.PutSummaries(ctx, "p1", map[string][]byte{a.Hash: []byte("one"), "gone": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSummaries(ctx, "p2", map[string][]byte{a.Hash: []byte("two")}); err != nil {
		t.Fatal(err)
	}
	got, err = db.Summaries(ctx, "p1", []string{a.Hash, "missing"})
	if err != nil || string(got[a.Hash]) != "one" || len(got) != 1 {
		t.Fatalf("p1: %q %v", got, err)
	}
	got, _ = db.Summaries(ctx, "p2", []string{a.Hash})
	if string(got[a.Hash]) != "two" {
		t.Fatalf("p2: %q", got)
	}
	// The file changes: the new content has another hash, so no summary.
	b := textArticle("harbor closes again")
	if o := storeText(t, db, "a.txt", b); o.Status != store.Updated {
		t.Fatalf("update: %+v", o)
	}
	if got, _ := db.Summaries(ctx, "p1", []string{b.Hash}); len(got) != 0 {
		t.Fatalf("changed article found the old summary: %q", got)
	}
	// Pruning drops the summaries of content no longer stored.
	n, err := db.PruneSummaries(ctx)
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want 3", n, err)
	}
}

func TestTermCounts(t *testing.T) {
	ctx := context.Background()
	db := derivedDB(t)
	calls := 0
	terms := func(a corpus.Article) []string { calls++; return words(a) }

	// Empty store: an empty table, recorded, so the next call is a no-op.
	tc, changed, err := db.UpdateTermCounts(ctx, "v1", terms)
	if err != nil || !changed || tc.Docs != 0 || tc.Version != "v1" {
		t.Fatalf("empty: %+v %v %v", tc, changed, err)
	}
	if _, changed, _ := db.UpdateTermCounts(ctx, "v1", terms); changed {
		t.Fatal("unchanged store updated the table again")
	}

	a, b := textArticle("red boat red river"), textArticle("red flag")
	storeText(t, db, "a.txt", a)
	storeText(t, db, "b.txt", b)
	tc, changed, err = db.UpdateTermCounts(ctx, "v1", terms)
	if err != nil || !changed || tc.Docs != 2 || tc.DF["red"] != 2 || tc.DF["boat"] != 1 || tc.DF["flag"] != 1 || calls != 2 {
		t.Fatalf("after two: %+v, %d calls, %v", tc, calls, err)
	}
	if tc2, err := db.TermCounts(ctx); err != nil || tc2.Seq != tc.Seq || tc2.DF["red"] != 2 {
		t.Fatalf("TermCounts: %+v %v", tc2, err)
	}

	// Only the new article is analysed.
	calls = 0
	storeText(t, db, "c.txt", textArticle("blue river"))
	tc, _, _ = db.UpdateTermCounts(ctx, "v1", terms)
	if calls != 1 || tc.Docs != 3 || tc.DF["river"] != 2 {
		t.Fatalf("incremental: %d calls, %+v", calls, tc)
	}

	// A deletion is counted as stale until there are too many; then the
	// table is rebuilt from the articles.
	if err := db.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	tc, _, _ = db.UpdateTermCounts(ctx, "v1", terms)
	if tc.Stale != 1 || tc.Docs != 3 {
		t.Fatalf("after delete: %+v", tc)
	}
	calls = 0
	tc, _, _ = db.UpdateTermCounts(ctx, "v2", terms) // another analysis: rebuilt
	if calls != 2 || tc.Docs != 2 || tc.Stale != 0 || tc.DF["red"] != 1 || tc.DF["flag"] != 0 || tc.Version != "v2" {
		t.Fatalf("rebuild: %d calls, %+v", calls, tc)
	}

	// Added and deleted between two updates: never counted, not stale.
	d := textArticle("short lived")
	storeText(t, db, "d.txt", d)
	if err := db.Delete(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	tc, _, _ = db.UpdateTermCounts(ctx, "v2", terms)
	if tc.Docs != 2 || tc.Stale != 0 || tc.DF["short"] != 0 {
		t.Fatalf("add+delete: %+v", tc)
	}
	if _, _, err := db.UpdateTermCounts(ctx, "", terms); err == nil {
		t.Error("empty version accepted")
	}
	keys := make([]string, 0, len(tc.DF))
	for k := range tc.DF {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, " ") != "blue boat red river" {
		t.Errorf("terms %v", keys)
	}
}

// TestUnsummarizedAndMarks: the background summariser's reads and its
// resumable mark.
func TestUnsummarizedAndMarks(t *testing.T) {
	ctx := context.Background()
	db := derivedDB(t)
	a, b := textArticle("harbor reopens after storm"), textArticle("council approves budget")
	ida, idb := storeText(t, db, "a.txt", a).ID, storeText(t, db, "b.txt", b).ID
	// No summaries bucket yet: every stored ID is unsummarized, gone ones
	// are left out.
	got, err := db.Unsummarized(ctx, "p1", []string{idb, "0123456789ab", ida})
	if err != nil || !slices.Equal(got, []string{idb, ida}) {
		t.Fatalf("Unsummarized before any summary = %v, %v", got, err)
	}
	if err := db.PutSummaries(ctx, "p1", map[string][]byte{a.Hash: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params string
		want   []string
	}{{"p1", []string{idb}}, {"p2", []string{ida, idb}}} {
		got, err := db.Unsummarized(ctx, c.params, []string{ida, idb})
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Unsummarized(%s) = %v, %v; want %v", c.params, got, err, c.want)
		}
	}

	if _, found, err := db.SummaryMark(ctx, "p1"); found || err != nil {
		t.Fatalf("mark before any: found %v, %v", found, err)
	}
	for _, seq := range []uint64{7, 3, 1 << 40} {
		if err := db.SetSummaryMark(ctx, "p1", seq); err != nil {
			t.Fatal(err)
		}
		if got, found, err := db.SummaryMark(ctx, "p1"); got != seq || !found || err != nil {
			t.Errorf("mark = %d %v %v, want %d", got, found, err, seq)
		}
	}
	if _, found, _ := db.SummaryMark(ctx, "p2"); found {
		t.Error("p2 has p1's mark")
	}
	if err := db.SetSummaryMark(ctx, "", 1); err == nil {
		t.Error("empty params accepted")
	}
}
