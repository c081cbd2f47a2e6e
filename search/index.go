// Package search finds articles by keyword: a bleve index (BM25 ranking)
// kept beside the bbolt store. The store is the system of record; the
// index is derived from it through the store's change log and can always
// be rebuilt from it.
//
// The index records the last change it applied (with the mapping version
// and the database it belongs to) atomically with the documents of each
// batch. Open catches up from there, and rebuilds an index that is missing,
// unreadable, built by another mapping or for another database. A kill at
// any moment therefore loses at most work, never consistency: after the
// next Open every stored article is searchable and no deleted one is.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// Store is what the index needs of the database: its change log and its
// articles. *store.DB implements it.
type Store interface {
	Changes(ctx context.Context, after uint64, fn func(store.Change) error) error
	LastSeq(ctx context.Context) (uint64, error)
	Article(ctx context.Context, id string) (corpus.Article, error)
}

// Options tune Open. The zero value is what digestbot uses.
type Options struct {
	// Logger receives what went wrong inside the index (the details users
	// are not shown). Default: discard.
	Logger *slog.Logger
	// Progress, when set, is called during a rebuild and a long catch-up
	// (a big ingest): when it starts, after each batch, and when it ends.
	Progress func(Progress)
	// Now is the clock for relative dates in queries (today, last-week);
	// Request.Now overrides it. Default time.Now.
	Now func() time.Time
	// BatchSize is the number of articles indexed per batch, and per
	// segment file when the index is rebuilt. Default 250: memory while
	// indexing grows with it (10,000 articles rebuilt with 250: 200 MB
	// anonymous memory at the peak; 500: 330 MB; 1,000: 645 MB), and the
	// time saved by larger batches is small (22.4, 20.5, 17.9 s of CPU;
	// `searchbench load -batch N`, see bench/search.sh).
	BatchSize int
	// Rebuild makes Open rebuild the index even when it is fine.
	Rebuild bool
	// BuildMemory is the soft limit on the Go heap while a rebuild runs
	// (debug.SetMemoryLimit), when the process has none of its own
	// (GOMEMLIMIT). Default 256 MiB: without it, the heap doubles past
	// what the final merge of segments holds (50,000 articles: 366 MB at
	// the peak, 197 MB with the limit, for 8% more CPU). Negative: none.
	BuildMemory int64
	// ReadOnly is for a process that only searches (a one-shot `digestbot
	// search`): when the index is up to date, Open opens it read-only, and
	// nothing is written on opening or closing it (bleve otherwise records
	// a new snapshot and syncs it on each). CatchUp and Rebuild then fail.
	// An index that needs any work is caught up or rebuilt as usual.
	ReadOnly bool
	// MappedMemory bounds how much of the files it maps (the index, the
	// database, the program's own) a searching process keeps resident:
	// past it, a search gives back the pages of the index and the
	// database, which stay in the kernel's page cache (see resident.go).
	// Default 64 MiB: 1,000 queries of 50,000 articles then peak at 81 MB
	// of RSS instead of 319 (446 when the index held term positions), for
	// 10-20% more time (page faults). Negative: no bound.
	MappedMemory int64

	// mergePolicy replaces the rebuild's (tests: many small segments).
	mergePolicy mergePolicy
}

// Progress reports a rebuild or a long catch-up.
type Progress struct {
	// Reason says why articles are being indexed: "there is no search
	// index yet", "new articles in the database", …
	Reason      string
	Done, Total int // articles indexed so far, of all
	Finished    bool
	Elapsed     time.Duration
}

// Keys of what the index records about itself in bleve's internal storage.
var (
	keyMapping = []byte("digestbot.mapping") // MappingVersion
	keySeq     = []byte("digestbot.seq")     // last change log sequence applied
	keyOrigin  = []byte("digestbot.origin")  // ID of the database's first change
	keyStats   = []byte("digestbot.stats")   // corpusStats as JSON
)

// Index is an open search index. It is safe for concurrent use.
type Index struct {
	dir  string
	st   Store
	opts Options
	im   *mapping.IndexMappingImpl
	an   analyzers
	docs docMaker

	// write serialises catch-ups and rebuilds, and guards closed.
	write  sync.Mutex
	closed bool
	// readOnly is set when the index was opened for searching only.
	readOnly bool
	// mu guards the fields below: searches hold it for reading, a rebuild
	// swapping in a new index for writing.
	mu    sync.RWMutex
	bi    bleve.Index
	seq   uint64
	stats corpusStats

	// healed is the index heal last built (guarded by write): one that
	// fails at once is not rebuilt again.
	healed bleve.Index
	// busy is the progress of a rebuild or long catch-up, nil when none.
	busy atomic.Pointer[Progress]
	// releasing is set while a search gives back mapped memory.
	releasing atomic.Bool
}

// corpusStats are the average title and body lengths (in tokens) that
// BM25 normalises by, kept by the index itself: bleve's own estimate
// depends on how its segments happen to be merged, so scores would drift.
type corpusStats struct {
	// Docs is how many articles the averages are over.
	Docs     int64   `json:"docs"`
	TitleAvg float64 `json:"title_avg"`
	BodyAvg  float64 `json:"body_avg"`
}

func (s *corpusStats) add(a corpus.Article) {
	s.Docs++
	s.TitleAvg += (float64(approxTokens(a.Title)) - s.TitleAvg) / float64(s.Docs)
	s.BodyAvg += (float64(approxTokens(a.Body)) - s.BodyAvg) / float64(s.Docs)
}

// remove accounts for a deleted article, whose text is gone: the averages
// stay, and later articles weigh a little more in them.
func (s *corpusStats) remove() { s.Docs = max(s.Docs-1, 0) }

// Open opens the search index in dir for the database st, rebuilding it
// from st when it is missing, unreadable or out of date, and catches it up
// with st's latest changes.
func Open(ctx context.Context, dir string, st Store, opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 250
	}
	if opts.BuildMemory == 0 {
		opts.BuildMemory = 256 << 20
	}
	if opts.MappedMemory == 0 {
		opts.MappedMemory = 64 << 20
	}
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search index mapping: %w", err)
	}
	an, err := analyzersOf(im)
	if err != nil {
		return nil, err
	}
	ix := &Index{dir: dir, st: st, opts: opts, im: im, an: an, docs: newDocMaker(im, an.withStemCache())}
	ix.write.Lock()
	defer ix.write.Unlock()

	if opts.ReadOnly && !opts.Rebuild {
		ok, err := ix.openReadOnly(ctx)
		if err != nil || ok {
			return ix, err
		}
	}
	reason := "rebuild requested"
	if !opts.Rebuild {
		var err error
		if reason, err = ix.openExisting(ctx); err != nil {
			return nil, err
		}
	}
	if reason != "" {
		if err := ix.rebuild(ctx, reason); err != nil {
			return nil, err
		}
	}
	if err := ix.catchUp(ctx); errors.Is(err, errIndexFailed) {
		// The index opened but cannot take changes: build a new one.
		ix.opts.Logger.Warn("search index cannot be updated; rebuilding it", "error", err)
		err = ix.rebuild(ctx, "the search index could not be updated")
		if err == nil {
			err = ix.catchUp(ctx)
		}
		if err != nil {
			ix.closeIndex()
			return nil, err
		}
	} else if err != nil {
		ix.closeIndex()
		return nil, err
	}
	return ix, nil
}

// Close closes the index files. The Index cannot be used afterwards.
func (ix *Index) Close() error {
	ix.write.Lock()
	defer ix.write.Unlock()
	ix.closed = true
	return ix.closeIndex()
}

// errClosed is returned by an Index used after Close.
var errClosed = errors.New("search index is closed")

func (ix *Index) closeIndex() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.bi == nil {
		return nil
	}
	err := closeBleve(ix.bi)
	ix.bi = nil
	if err != nil {
		ix.opts.Logger.Error("close search index", "dir", ix.dir, "error", err)
		return fmt.Errorf("close search index %s: %w", ix.dir, errIndexFailed)
	}
	return nil
}

// Dir returns the folder the index lives in.
func (ix *Index) Dir() string { return ix.dir }

// errIndexFailed stands in for bleve's own errors, which are logged but
// never shown to users.
var errIndexFailed = errors.New("the search index failed (details in the log); `digestbot reindex` rebuilds it")

// runtimeConfig is passed to bleve when creating or opening an index.
// unsafe_batch: a batch returns once searchable, before it is on disk. The
// recorded sequence number is persisted atomically with the batch, so a
// batch lost to a crash is simply applied again by the next catch-up.
//
// bolt_timeout: opening an index whose root.bolt is still locked (by a
// wedged instance, see closeBleve) fails instead of waiting forever, and
// the index is rebuilt beside it.
func runtimeConfig() map[string]any {
	return map[string]any{"unsafe_batch": true, "bolt_timeout": "1s"}
}

// closeTimeout bounds closing a bleve index.
const closeTimeout = 10 * time.Second

// closeBleve closes bi, giving up after closeTimeout. bleve's close waits
// for its background writer, which never finishes if it panicked in the
// middle of a transaction (seen once with damaged files); the program must
// not hang on that. Whatever was not written is applied again by the next
// catch-up.
func closeBleve(bi bleve.Index) error {
	done := make(chan error, 1)
	go func() { done <- bi.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("closing took over %s; abandoned", closeTimeout)
	}
}

// openExisting opens the index in ix.dir. It returns why the index must
// be rebuilt, or "" when it can be caught up.
func (ix *Index) openExisting(ctx context.Context) (reason string, err error) {
	if _, err := os.Stat(ix.dir); errors.Is(err, os.ErrNotExist) {
		return "there is no search index yet", nil
	}
	bi, err := openBleve(ix.dir)
	if err != nil {
		ix.opts.Logger.Warn("search index unreadable", "dir", ix.dir, "error", err)
		return "the search index could not be read", nil
	}
	keep := false
	defer func() {
		if !keep {
			_ = closeBleve(bi)
		}
	}()
	meta, err := readMeta(bi)
	if err != nil {
		ix.opts.Logger.Warn("search index metadata unreadable", "dir", ix.dir, "error", err)
		return "the search index could not be read", nil
	}
	if meta.mapping != MappingVersion {
		return fmt.Sprintf("the search index has layout %d, this digestbot uses %d", meta.mapping, MappingVersion), nil
	}
	origin, err := firstChange(ctx, ix.st)
	if err != nil {
		return "", err
	}
	last, err := ix.st.LastSeq(ctx)
	if err != nil {
		return "", fmt.Errorf("search index: read the change log: %w", err)
	}
	switch {
	case meta.origin != "" && meta.origin != origin:
		return "the search index belongs to another database", nil
	case meta.seq > last:
		return "the search index is ahead of the database", nil
	}
	ix.mu.Lock()
	ix.bi, ix.seq, ix.stats = bi, meta.seq, meta.stats
	ix.mu.Unlock()
	keep = true
	return "", nil
}

// openBleve opens a bleve index, turning a panic on damaged files into an
// error. That includes a fault reading a memory-mapped file cut short (a
// truncated root.bolt), which would otherwise crash the program.
func openBleve(dir string) (bleve.Index, error) { return openBleveWith(dir, runtimeConfig()) }

func openBleveWith(dir string, config map[string]any) (bi bleve.Index, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			bi, err = nil, fmt.Errorf("panic opening index: %v", r)
		}
	}()
	return bleve.OpenUsing(dir, config)
}

// errReadOnly is returned by CatchUp and Rebuild on an index opened with
// Options.ReadOnly.
var errReadOnly = errors.New("search index is open for searching only")

// openReadOnly opens the index in ix.dir read-only when it is up to date:
// its layout is this build's, it belongs to this database and it has
// applied the database's last change. Otherwise it opens nothing and
// returns false; the ordinary open then does what is needed.
func (ix *Index) openReadOnly(ctx context.Context) (bool, error) {
	if _, err := os.Stat(ix.dir); err != nil {
		return false, nil
	}
	config := runtimeConfig()
	config["read_only"] = true
	bi, err := openBleveWith(ix.dir, config)
	if err != nil {
		return false, nil
	}
	meta, err := readMeta(bi)
	var origin string
	var last uint64
	if err == nil {
		origin, err = firstChange(ctx, ix.st)
	}
	if err == nil {
		last, err = ix.st.LastSeq(ctx)
	}
	if err != nil || meta.mapping != MappingVersion || meta.origin != origin || meta.seq != last {
		_ = closeBleve(bi)
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	ix.mu.Lock()
	ix.bi, ix.seq, ix.stats = bi, meta.seq, meta.stats
	ix.mu.Unlock()
	ix.readOnly = true
	return true, nil
}

type indexMeta struct {
	mapping int
	seq     uint64
	origin  string
	stats   corpusStats
}

func readMeta(bi bleve.Index) (m indexMeta, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic reading index metadata: %v", r)
		}
	}()
	get := func(key []byte) string {
		if err != nil {
			return ""
		}
		var v []byte
		v, err = bi.GetInternal(key)
		return string(v)
	}
	mv, seq, origin, stats := get(keyMapping), get(keySeq), get(keyOrigin), get(keyStats)
	if err != nil {
		return m, err
	}
	if m.mapping, err = strconv.Atoi(mv); err != nil {
		return m, fmt.Errorf("mapping version %q: %w", mv, err)
	}
	if m.seq, err = strconv.ParseUint(seq, 10, 64); err != nil {
		return m, fmt.Errorf("sequence %q: %w", seq, err)
	}
	if err := json.Unmarshal([]byte(stats), &m.stats); err != nil {
		return m, fmt.Errorf("stats %q: %w", stats, err)
	}
	m.origin = origin
	return m, nil
}

// setMeta records in b what the index will have applied once b is.
func setMeta(b *bleve.Batch, seq uint64, origin string, stats corpusStats) {
	b.SetInternal(keyMapping, []byte(strconv.Itoa(MappingVersion)))
	b.SetInternal(keySeq, []byte(strconv.FormatUint(seq, 10)))
	b.SetInternal(keyOrigin, []byte(origin))
	js, _ := json.Marshal(stats) // plain numbers: cannot fail
	b.SetInternal(keyStats, js)
}

var errStop = errors.New("stop")

// firstChange returns the sequence number and ID of the database's first
// change-log entry: it tells one database from another. "" for a database
// with no changes; an index built from one fits any database.
func firstChange(ctx context.Context, st Store) (string, error) {
	var id string
	err := st.Changes(ctx, 0, func(c store.Change) error {
		id = strconv.FormatUint(c.Seq, 10) + ":" + c.ID
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", fmt.Errorf("search index: read the change log: %w", err)
	}
	return id, nil
}

// headerReader is a Store that can read an article without its body
// (*store.DB, whose bodies are compressed).
type headerReader interface {
	Header(ctx context.Context, id string) (corpus.Article, error)
}

// hitArticle is article for a search hit: without its body when the hit
// needs none and the store can leave it out.
func (ix *Index) hitArticle(ctx context.Context, id string, body bool) (corpus.Article, bool, error) {
	if h, ok := ix.st.(headerReader); ok && !body {
		a, err := h.Header(ctx, id)
		return foundArticle(id, a, err)
	}
	return ix.article(ctx, id)
}

// article returns the stored article id, or ok false when it is gone.
func (ix *Index) article(ctx context.Context, id string) (corpus.Article, bool, error) {
	a, err := ix.st.Article(ctx, id)
	return foundArticle(id, a, err)
}

// foundArticle turns what the store returned for id into article's
// results.
func foundArticle(id string, a corpus.Article, err error) (corpus.Article, bool, error) {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous):
		return a, false, nil
	case err != nil:
		return a, false, fmt.Errorf("search index: read article %s: %w", id, err)
	}
	// Article also accepts a unique prefix; only the exact ID will do.
	return a, a.ID == id, nil
}
