package digest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// aheadStore counts the summaries written and can end a context at
// the n-th article read.
type aheadStore struct {
	*store.DB
	written  atomic.Int64
	reads    atomic.Int64
	cancelAt int64
	cancel   context.CancelFunc
}

func (c *aheadStore) PutSummaries(ctx context.Context, params string, values map[string][]byte) error {
	c.written.Add(int64(len(values)))
	return c.DB.PutSummaries(ctx, params, values)
}

func (c *aheadStore) Article(ctx context.Context, id string) (corpus.Article, error) {
	if n := c.reads.Add(1); n == c.cancelAt && c.cancel != nil {
		c.cancel()
	}
	return c.DB.Article(ctx, id)
}

func aheadEnv(t *testing.T, n int) (*aheadStore, *Service, []string) {
	db := &aheadStore{DB: testenv.OpenDB(t)}
	arts := synthArticles(t, n)
	testenv.PutArticles(t, db.DB, arts...)
	svc, err := New(db, testAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, a := range arts {
		ids[n-1-i] = a.ID // the most recently stored first
	}
	return db, svc, ids
}

func TestBacklogCacheAheadMark(t *testing.T) {
	ctx := context.Background()
	db, svc, ids := aheadEnv(t, 12)
	opts := Options{Sentences: 2}
	b, err := svc.Backlog(ctx, opts, 0)
	last, _ := db.LastSeq(ctx)
	if err != nil || !slices.Equal(b.IDs, ids) || b.Upto != last || b.Skipped != 0 {
		t.Fatalf("first backlog = %+v, %v; want %v up to %d", b, err, ids, last)
	}
	if b, _ := svc.Backlog(ctx, opts, 5); !slices.Equal(b.IDs, ids[:5]) || b.Skipped != 7 {
		t.Errorf("backlog limited to 5 = %v, skipped %d", b.IDs, b.Skipped)
	}
	if made, err := svc.CacheAhead(ctx, ids[:5], opts); made != 5 || err != nil {
		t.Fatalf("CacheAhead = %d, %v", made, err)
	}
	// Not marked yet: the backlog is what is not cached.
	if b, _ := svc.Backlog(ctx, opts, 0); !slices.Equal(b.IDs, ids[5:]) {
		t.Errorf("backlog after 5 = %v, want %v", b.IDs, ids[5:])
	}
	// Other options have their own cache and backlog.
	if b, _ := svc.Backlog(ctx, Options{}, 0); len(b.IDs) != 12 {
		t.Errorf("backlog of other options = %d articles, want 12", len(b.IDs))
	}
	if made, err := svc.CacheAhead(ctx, ids[5:], opts); made != 7 || err != nil {
		t.Fatalf("CacheAhead = %d, %v", made, err)
	}
	if err := svc.MarkAhead(ctx, opts, b.Upto); err != nil {
		t.Fatal(err)
	}
	// What was made ahead is what a digest would make.
	for _, id := range ids {
		a, err := db.Article(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stats, _ := svc.Stats(ctx)
		before := db.written.Load()
		got, err := svc.Summary(ctx, a, opts)
		if err != nil || !slices.Equal(got.Sentences, svc.sum.Summarize(a, stats, opts).Sentences) {
			t.Errorf("%s: cached summary %q, %v differs from a fresh one", id, got.Sentences, err)
		}
		if db.written.Load() != before {
			t.Errorf("%s: summary made again", id)
		}
	}
	// After the mark: only what is stored later.
	more := synthArticles(t, 15)[12:]
	testenv.PutArticles(t, db.DB, more...)
	b, err = svc.Backlog(ctx, opts, 0)
	if err != nil || len(b.IDs) != 3 || b.IDs[0] != more[2].ID {
		t.Errorf("backlog after the mark = %v, %v; want the 3 new, newest first", b.IDs, err)
	}
	// A deleted article drops out.
	if err := db.Delete(ctx, more[0].ID); err != nil {
		t.Fatal(err)
	}
	if b, _ := svc.Backlog(ctx, opts, 0); len(b.IDs) != 2 || slices.Contains(b.IDs, more[0].ID) {
		t.Errorf("backlog after a delete = %v", b.IDs)
	}
	if made, err := svc.CacheAhead(ctx, []string{more[0].ID, more[1].ID}, opts); made != 1 || err != nil {
		t.Errorf("CacheAhead with a deleted article = %d, %v; want 1", made, err)
	}
	if _, err := svc.Backlog(ctx, Options{Sentences: 99}, 0); err == nil {
		t.Error("invalid options accepted")
	}
}

// TestCacheAheadCancelled: ending the context stops CacheAhead between
// articles; what it made is cached, the rest stays in the backlog.
func TestCacheAheadCancelled(t *testing.T) {
	db, svc, ids := aheadEnv(t, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db.cancelAt, db.cancel = 3, cancel
	made, err := svc.CacheAhead(ctx, ids, Options{})
	if made != 2 || !errors.Is(err, context.Canceled) {
		t.Fatalf("CacheAhead cancelled reading the third article = %d, %v; want 2 made", made, err)
	}
	b, err := svc.Backlog(context.Background(), Options{}, 0)
	if err != nil || !slices.Equal(b.IDs, ids[2:]) {
		t.Errorf("backlog after the cancel = %v, %v; want %v", b.IDs, err, ids[2:])
	}
}

// TestDigestAfterCacheAhead: a digest of articles summarised ahead makes
// no summary itself.
func TestDigestAfterCacheAhead(t *testing.T) {
	ctx := context.Background()
	db, svc, _ := aheadEnv(t, 8)
	spec := Spec{MaxArticles: 8, Summary: Options{MaxChars: 500}}
	b, err := svc.Backlog(ctx, spec.Summary, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CacheAhead(ctx, b.IDs, spec.Summary); err != nil {
		t.Fatal(err)
	}
	before := db.written.Load()
	d, err := svc.Build(ctx, spec, time.Now())
	if err != nil || len(d.Items) == 0 {
		t.Fatalf("Build = %d items, %v", len(d.Items), err)
	}
	if n := db.written.Load() - before; n != 0 {
		t.Errorf("the digest made %d summaries; all were made ahead", n)
	}
}
