package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// faultyStore counts the summaries written, and can end a context at the
// n-th article read or fail the n-th summary write (a crash mid-write:
// the transaction never commits).
type faultyStore struct {
	*store.DB
	written  atomic.Int64
	reads    atomic.Int64
	puts     atomic.Int64
	cancelAt int64
	cancel   context.CancelFunc
	failPut  int64
}

func (f *faultyStore) Article(ctx context.Context, id string) (corpus.Article, error) {
	if n := f.reads.Add(1); n == f.cancelAt && f.cancel != nil {
		f.cancel()
	}
	return f.DB.Article(ctx, id)
}

func (f *faultyStore) PutSummaries(ctx context.Context, params string, values map[string][]byte) error {
	if n := f.puts.Add(1); n == f.failPut {
		return errors.New("disk gone")
	}
	f.written.Add(int64(len(values)))
	return f.DB.PutSummaries(ctx, params, values)
}

// stepClock is a fake clock: each Now is step later than the one before;
// After records its wait and fires at once, except the poll's, which
// fires when the test sends on poll.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	step  time.Duration
	rests []time.Duration
	poll  chan time.Time
	every time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	if d == c.every {
		return c.poll
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rests = append(c.rests, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func synthArticles(t *testing.T, from, to int) []corpus.Article {
	g := synth.New(5, 3000)
	var out []corpus.Article
	for i := from; i < to; i++ {
		a, err := corpus.Parse(fmt.Sprintf("s%04d.txt", i), []byte(g.Article(i)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func newWorker(t *testing.T, db digest.Store, clock digest.Clock, opts ...digest.Options) *SummaryWorker {
	svc, err := digest.New(db, search.Terms)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) == 0 {
		opts = []digest.Options{{}}
	}
	return &SummaryWorker{Service: svc, Options: func() []digest.Options { return opts }, Clock: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Poll: time.Hour, Batch: 3}
}

// TestSummaryWorkerDigestFindsSummaries: after a round, a digest of the
// new articles makes no summary itself, for each configured option set.
func TestSummaryWorkerDigestFindsSummaries(t *testing.T) {
	ctx := context.Background()
	db := &faultyStore{DB: testenv.OpenDB(t)}
	testenv.PutArticles(t, db.DB, synthArticles(t, 0, 10)...)
	clock := &stepClock{now: time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)}
	opts := []digest.Options{{}, {MaxChars: 700}, {Sentences: 2, MaxChars: 400}}
	w := newWorker(t, db, clock, opts...)
	if err := w.Round(ctx); err != nil {
		t.Fatal(err)
	}
	p := w.Progress()
	if p.Made != 20 || p.Pending != 0 || p.Rounds != 1 || p.Err != "" || p.LastRound.IsZero() {
		t.Errorf("progress after a round = %+v; want 20 made (10 articles, 2 distinct options)", p)
	}
	// A second round finds nothing to do.
	if err := w.Round(ctx); err != nil || w.Progress().Made != 20 {
		t.Errorf("second round: %v, made %d", err, w.Progress().Made)
	}
	written := db.written.Load()
	for _, o := range opts {
		d, err := w.Service.Build(ctx, digest.Spec{MaxArticles: 10, Summary: o}, clock.Now())
		if err != nil || len(d.Items) != 10 {
			t.Fatalf("digest: %d items, %v", len(d.Items), err)
		}
	}
	if n := db.written.Load() - written; n != 0 {
		t.Errorf("the digests made %d summaries; the worker had made them all", n)
	}
}

// TestSummaryWorkerCancelled: a round stopped by its context keeps what
// it made and does not move the mark; the next worker does the rest, and
// nothing is made twice.
func TestSummaryWorkerCancelled(t *testing.T) {
	db := &faultyStore{DB: testenv.OpenDB(t)}
	testenv.PutArticles(t, db.DB, synthArticles(t, 0, 9)...)
	clock := &stepClock{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db.cancelAt, db.cancel = 5, cancel // reading the 5th article: 4 made
	w := newWorker(t, db, clock)
	if err := w.Round(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled round = %v", err)
	}
	if p := w.Progress(); p.Made != 4 || p.Rounds != 0 || p.Err == "" {
		t.Errorf("progress after the cancel = %+v; want 4 made, no round completed", p)
	}
	again := newWorker(t, db, clock)
	if err := again.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	if made := again.Progress().Made; made != 5 {
		t.Errorf("the next worker made %d, want the 5 left", made)
	}
	if n := db.written.Load(); n != 9 {
		t.Errorf("%d summaries written for 9 articles", n)
	}
}

// TestSummaryWorkerCrash: a write that never commits (the process died
// in it) loses only that batch; a worker on the reopened store finishes.
func TestSummaryWorkerCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	raw, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	testenv.PutArticles(t, raw, synthArticles(t, 0, 8)...)
	db := &faultyStore{DB: raw, failPut: 2}
	w := newWorker(t, db, &stepClock{})
	if err := w.Round(context.Background()); err == nil || w.Progress().Err == "" {
		t.Fatalf("round with a failed write = %v, %+v", err, w.Progress())
	}
	raw.Close()
	raw, err = store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	db = &faultyStore{DB: raw}
	w = newWorker(t, db, &stepClock{})
	if err := w.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first batch (3) survived; the failed one and the last are made now.
	if made := w.Progress().Made; made != 5 {
		t.Errorf("after the restart %d made, want 5", made)
	}
	b, err := w.Service.Backlog(context.Background(), digest.Options{}, 0)
	if err != nil || len(b.IDs) != 0 {
		t.Errorf("backlog after the restart = %v, %v", b.IDs, err)
	}
}

// TestSummaryWorkerRun: Run makes a round at start, another on Kick and
// another at its poll, resting after each batch as long as it took; it
// returns when its context ends.
func TestSummaryWorkerRun(t *testing.T) {
	db := &faultyStore{DB: testenv.OpenDB(t)}
	testenv.PutArticles(t, db.DB, synthArticles(t, 0, 4)...)
	clock := &stepClock{step: 10 * time.Millisecond, poll: make(chan time.Time), every: time.Hour}
	w := newWorker(t, db, clock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	waitRounds := func(n int64, made int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for w.Progress().Rounds < n {
			if time.Now().After(deadline) {
				t.Fatalf("still %+v, waiting for round %d", w.Progress(), n)
			}
			time.Sleep(time.Millisecond)
		}
		if p := w.Progress(); p.Made != made {
			t.Errorf("after round %d: %d made, want %d", n, p.Made, made)
		}
	}
	waitRounds(1, 4)
	testenv.PutArticles(t, db.DB, synthArticles(t, 4, 6)...)
	w.Kick()
	waitRounds(2, 6)
	testenv.PutArticles(t, db.DB, synthArticles(t, 6, 7)...)
	clock.poll <- time.Time{} // no kick: the poll finds it
	waitRounds(3, 7)
	cancel()
	<-done
	// Batches of 3: 4 articles are 2 batches, then 1 and 1; each batch
	// rested as long as it took on the clock (a few steps, never zero).
	clock.mu.Lock()
	defer clock.mu.Unlock()
	if len(clock.rests) != 4 {
		t.Errorf("rests %v, want one after each of 4 batches", clock.rests)
	}
	for _, d := range clock.rests {
		if d <= 0 || d%clock.step != 0 {
			t.Errorf("rest %s: not the batch's time", d)
		}
	}
}

func TestDistinctOptions(t *testing.T) {
	got := distinctOptions([]digest.Options{{}, {Sentences: 3}, {MaxChars: 300}, {Method: digest.LexRank, MaxChars: 700}, {MaxChars: 300}})
	want := []digest.Options{{Sentences: 3, MaxChars: 700, Method: digest.LexRank}, {Sentences: 3, MaxChars: 300, Method: digest.LexRank}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("distinctOptions = %v, want %v", got, want)
	}
}
