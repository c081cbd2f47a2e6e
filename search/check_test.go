package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// TestCheckConsistent: a freshly built index, and one kept up to date
// through adds and deletes, have no problems, open or on disk.
func TestCheckConsistent(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	ix := openIndex(t, db, dir)
	mustCheck(t, ix, nil)

	// An added article and a deleted one, caught up.
	addArticle(t, db, "extra.txt", " date 2023-05-01 Harbor storms\n\nStorms closed the harbor for two days.\n")
	if err := db.Delete(ctx, "ad0293d1ae8f"); err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, ix, nil)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	rep := mustCheckDir(t, dir, db, nil)
	if !rep.Exists || rep.Seq != rep.LastSeq || rep.Docs != 6 {
		t.Errorf("on disk: %+v, want an index at the latest change with 6 documents", rep)
	}
}

// TestCheckDirBehind: an index behind the store is consistent on disk as
// long as it matches the store as of the change it applied; Check on an
// open index requires it caught up.
func TestCheckDirBehind(t *testing.T) {
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	ix := openIndex(t, db, dir)
	addArticle(t, db, "extra.txt", " date 2023-05-01 Harbor storms\n\nStorms closed the harbor for two days.\n")
	mustCheck(t, ix, []string{"is behind the database"})
	ix.Close()

	rep := mustCheckDir(t, dir, db, nil)
	if rep.Seq+1 != rep.LastSeq || rep.Docs != 6 || len(rep.Notes) == 0 {
		t.Errorf("on disk: %+v, want an index one change behind with 6 documents, and a note", rep)
	}
	// An indexed article deleted since: its text is gone, so the recounts
	// are skipped, with a note, and that is no problem either.
	if err := db.Delete(context.Background(), "50e27bded048"); err != nil {
		t.Fatal(err)
	}
	rep = mustCheckDir(t, dir, db, nil)
	if rep.Seq+2 != rep.LastSeq || !strings.Contains(strings.Join(rep.Notes, "\n"), "term frequencies not recounted") {
		t.Errorf("on disk: %+v, want an index two changes behind, and a note on term frequencies", rep)
	}

	// No index at all is no problem either: the next Open builds one.
	rep = mustCheckDir(t, filepath.Join(t.TempDir(), "none"), db, nil)
	if rep.Exists {
		t.Errorf("missing index reported as existing: %+v", rep)
	}
}

// TestCheckFindsDamage damages an index, or the store behind the index's
// back, in one way each and expects the check to say so.
func TestCheckFindsDamage(t *testing.T) {
	const victim = "50e27bded048" // the second article of the sample corpus (the first identifies the database)
	tests := []struct {
		name   string
		damage func(t *testing.T, ix *Index, db *store.DB) Store
		want   []string
	}{
		{
			name: "document deleted from bleve",
			damage: func(t *testing.T, ix *Index, db *store.DB) Store {
				b := ix.bi.NewBatch()
				b.Delete(victim)
				commitNow(t, ix, b)
				return db
			},
			want: []string{"article " + victim + " is not in the search index"},
		},
		{
			name: "article gone from the store, change log and all",
			damage: func(t *testing.T, ix *Index, db *store.DB) Store {
				return hidingStore{db, victim}
			},
			want: []string{
				"search index has a document for " + victim + ", which is not a stored article",
				"search index statistics count 6 articles, but 5 were stored",
			},
		},
		{
			name: "indexed text differs from the stored article",
			damage: func(t *testing.T, ix *Index, db *store.DB) Store {
				a, err := db.Article(context.Background(), victim)
				if err != nil {
					t.Fatal(err)
				}
				a.Title, a.Body = "Nothing", "Nothing here at all."
				b := ix.bi.NewBatch()
				if err := b.IndexAdvanced(ix.docs.document(a)); err != nil {
					t.Fatal(err)
				}
				commitNow(t, ix, b)
				return db
			},
			want: []string{"but a recount finds it in"},
		},
		{
			name: "recorded statistics wrong",
			damage: func(t *testing.T, ix *Index, db *store.DB) Store {
				origin, err := firstChange(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				b := ix.bi.NewBatch()
				setMeta(b, ix.seq, origin, corpusStats{Docs: 6, TitleAvg: 3, BodyAvg: 40})
				commitNow(t, ix, b)
				return db
			},
			want: []string{"average title and body lengths 3.000000 and 40.000000", "in memory it has applied change"},
		},
		{
			name: "index ahead of the store",
			damage: func(t *testing.T, ix *Index, db *store.DB) Store {
				origin, err := firstChange(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				b := ix.bi.NewBatch()
				setMeta(b, ix.seq+5, origin, ix.stats)
				commitNow(t, ix, b)
				return db
			},
			want: []string{"search index has applied change 11, but the database's latest change is 6"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := sampleStore(t)
			dir := filepath.Join(t.TempDir(), "index")
			ix := openIndex(t, db, dir)
			mustCheck(t, ix, nil)
			st := tt.damage(t, ix, db)
			// Checked open, through a copy of the Index reading st…
			cp := &Index{dir: ix.dir, st: st, opts: ix.opts, im: ix.im, an: ix.an, docs: ix.docs, bi: ix.bi, seq: ix.seq, stats: ix.stats}
			problems, err := cp.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			expectProblems(t, "Check", problems, tt.want)
			// …and on disk.
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			rep, err := CheckDir(context.Background(), dir, st)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				if !strings.Contains(w, "in memory") {
					want = append(want, w)
				}
			}
			expectProblems(t, "CheckDir", rep.Problems, want)
		})
	}
}

// TestCheckDirUnreadable: a damaged index folder is a problem on disk.
func TestCheckDirUnreadable(t *testing.T) {
	db := sampleStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	ix := openIndex(t, db, dir)
	ix.Close()
	if err := os.WriteFile(filepath.Join(dir, "store", "root.bolt"), []byte("not bolt"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := mustCheckDir(t, dir, db, []string{"cannot be opened"})
	if !rep.Exists {
		t.Errorf("damaged index reported as missing")
	}
}

// TestCheckStatsBetweenCatchUps: the index's article count follows what
// is stored when an article comes and goes between two catch-ups.
func TestCheckStatsBetweenCatchUps(t *testing.T) {
	const mohe = "ad0293d1ae8f"
	tests := []struct {
		name   string
		change func(t *testing.T, db *store.DB)
	}{
		{"added and deleted again: never counted", func(t *testing.T, db *store.DB) {
			id := addArticle(t, db, "brief.txt", " date 2023-05-01 Harbor storms\n\nStorms closed the harbor for two days.\n")
			if err := db.Delete(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted and stored again: counted once", func(t *testing.T, db *store.DB) {
			a, err := db.Article(context.Background(), mohe)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Delete(context.Background(), mohe); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Put(context.Background(), []store.File{{Path: "again.txt", RawHash: "again", Size: 1, Article: a}}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := sampleStore(t)
			ix := openIndex(t, db, "")
			tt.change(t, db)
			if err := ix.CatchUp(context.Background()); err != nil {
				t.Fatal(err)
			}
			mustCheck(t, ix, nil)
		})
	}
}

// hidingStore is a store that has lost one article: its put is gone from
// the change log, and the article itself.
type hidingStore struct {
	*store.DB
	hide string
}

func (h hidingStore) Changes(ctx context.Context, after uint64, fn func(store.Change) error) error {
	return h.DB.Changes(ctx, after, func(c store.Change) error {
		if c.ID == h.hide {
			return nil
		}
		return fn(c)
	})
}

func (h hidingStore) Article(ctx context.Context, id string) (corpus.Article, error) {
	if strings.HasPrefix(h.hide, id) {
		return corpus.Article{}, store.ErrNotFound
	}
	return h.DB.Article(ctx, id)
}

func (h hidingStore) IDs(ctx context.Context) ([]string, error) {
	ids, err := h.DB.IDs(ctx)
	var out []string
	for _, id := range ids {
		if id != h.hide {
			out = append(out, id)
		}
	}
	return out, err
}

// addArticle stores one article parsed from text and returns its ID.
func addArticle(t *testing.T, db *store.DB, name, text string) string {
	t.Helper()
	a, err := corpus.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	out, err := db.Put(context.Background(), []store.File{{Path: name, RawHash: a.Hash, Size: int64(len(text)), Article: a}})
	if err != nil {
		t.Fatal(err)
	}
	return out[0].ID
}

// commitNow applies a batch to the index directly, behind its back, and
// waits until it is on disk.
func commitNow(t *testing.T, ix *Index, b *bleve.Batch) {
	t.Helper()
	if err := ix.commit(ix.bi, b, true); err != nil {
		t.Fatal(err)
	}
}

func mustCheck(t *testing.T, ix *Index, want []string) {
	t.Helper()
	problems, err := ix.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expectProblems(t, "Check", problems, want)
}

func mustCheckDir(t *testing.T, dir string, st Store, want []string) DirReport {
	t.Helper()
	rep, err := CheckDir(context.Background(), dir, st)
	if err != nil {
		t.Fatal(err)
	}
	expectProblems(t, "CheckDir", rep.Problems, want)
	return rep
}

// expectProblems fails unless each of want is part of some problem; with
// want empty, unless there are no problems at all.
func expectProblems(t *testing.T, what string, problems, want []string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("%s: no problem mentions %q; problems:\n  %s", what, w, strings.Join(problems, "\n  "))
		}
	}
	if len(want) == 0 && len(problems) > 0 {
		t.Errorf("%s: unexpected problems:\n  %s", what, strings.Join(problems, "\n  "))
	}
}

// BenchmarkCheckDir checks an index of 2,000 synthetic articles on disk,
// the work of `digestbot check-db` for the index:
//
//	go test ./search -run '^$' -bench CheckDir -benchtime 5x
func BenchmarkCheckDir(b *testing.B) {
	ctx := context.Background()
	db := testenv.OpenDB(b)
	g := synth.New(1, 20000)
	files := make([]store.File, 0, 2000)
	for i := range cap(files) {
		name := fmt.Sprintf("a%06d.txt", i)
		a, err := corpus.Parse(name, []byte(g.Article(i)))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, store.File{Path: name, RawHash: a.Hash, Size: 1, Article: a})
	}
	if _, err := db.Put(ctx, files); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "index")
	ix, err := Open(ctx, dir, db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix.Close()
	for b.Loop() {
		rep, err := CheckDir(ctx, dir, db)
		if err != nil || len(rep.Problems) > 0 {
			b.Fatal(err, rep.Problems)
		}
	}
}
