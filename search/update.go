package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/digestbot/digestbot/internal/memlimit"
	"github.com/digestbot/digestbot/store"
)

// CatchUp applies the database's changes since the index last did: new
// articles become searchable, deleted ones unfindable. Call it after
// loading articles; Open calls it too.
// An index found damaged is rebuilt.
func (ix *Index) CatchUp(ctx context.Context) error {
	ix.write.Lock()
	switch {
	case ix.closed:
		ix.write.Unlock()
		return errClosed
	case ix.readOnly:
		ix.write.Unlock()
		return errReadOnly
	}
	ix.mu.RLock()
	bi := ix.bi
	ix.mu.RUnlock()
	err := ix.catchUp(ctx)
	ix.write.Unlock()
	if failedIndex(err) {
		ix.opts.Logger.Warn("search index cannot be updated", "error", err)
		return ix.heal(ctx, bi, "the search index could not be updated")
	}
	return err
}

// Rebuild builds the index anew from the database and swaps it in; the old
// index answers searches until then.
func (ix *Index) Rebuild(ctx context.Context) error {
	ix.write.Lock()
	defer ix.write.Unlock()
	switch {
	case ix.closed:
		return errClosed
	case ix.readOnly:
		return errReadOnly
	}
	return ix.rebuild(ctx, "rebuild requested")
}

func (ix *Index) catchUp(ctx context.Context) error {
	ix.mu.RLock()
	bi, after, stats := ix.bi, ix.seq, ix.stats
	ix.mu.RUnlock()
	var changes []store.Change
	err := ix.st.Changes(ctx, after, func(c store.Change) error {
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("search index: read the change log: %w", err)
	}
	if len(changes) == 0 {
		return nil
	}
	if bulkLoad(len(changes), stats.Docs, ix.opts.BatchSize) {
		// Indexing this many articles into the live index would hold them
		// in memory until bleve's writer catches up; a rebuild holds one
		// batch at a time, and the old index answers searches meanwhile.
		return ix.rebuild(ctx, "many new articles in the database")
	}
	origin, err := firstChange(ctx, ix.st)
	if err != nil {
		return err
	}
	start := time.Now()
	// A long backlog (a big ingest) is indexed like a rebuild, several
	// batches at a time (only the end is then recorded), with progress.
	workers := 1
	var progress func(int)
	if len(changes) > 2*ix.opts.BatchSize {
		workers = rebuildWorkers()
		progress = ix.reporter("new articles in the database", len(changes), start)
		progress(0)
	}
	seq, stats, err := ix.apply(ctx, bi, changes, workers, origin, stats, progress)
	if progress != nil {
		defer ix.setBusy(nil)
	}
	if err != nil {
		return err
	}
	if progress != nil {
		ix.finished("new articles in the database", len(changes), start)
	}
	ix.mu.Lock()
	if ix.bi == bi {
		ix.seq, ix.stats = seq, stats
	}
	ix.mu.Unlock()
	ix.opts.Logger.Debug("search index caught up", "changes", len(changes), "seq", seq, "took", time.Since(start))
	return nil
}

// bulkLoad reports whether a backlog of changes is better applied by
// rebuilding an index of docs articles: when it holds more changes than
// the index holds articles (a first big ingest), rebuilding costs at most
// twice the work and keeps memory bounded.
func bulkLoad(changes int, docs int64, batch int) bool {
	return changes > 4*batch && int64(changes) > docs
}

// rebuildWorkers is how many batches a rebuild indexes at once: turning a
// batch into a segment uses one core, and the next batches are analysed
// meanwhile. At least two, at most four (memory).
func rebuildWorkers() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// reporter returns a function reporting progress through opts.Progress.
func (ix *Index) reporter(reason string, total int, start time.Time) func(done int) {
	return func(done int) {
		p := Progress{Reason: reason, Done: done, Total: total, Elapsed: time.Since(start)}
		ix.setBusy(&p)
		if ix.opts.Progress != nil {
			ix.opts.Progress(p)
		}
	}
}

func (ix *Index) finished(reason string, total int, start time.Time) {
	ix.setBusy(nil)
	if ix.opts.Progress != nil {
		ix.opts.Progress(Progress{Reason: reason, Done: total, Total: total, Finished: true, Elapsed: time.Since(start)})
	}
}

// rebuild builds a new index from the database beside the current one,
// then replaces it. Killed half-way, it leaves the old index (or none),
// which the next Open rebuilds again.
func (ix *Index) rebuild(ctx context.Context, reason string) error {
	start := time.Now()
	ix.setBusy(&Progress{Reason: reason})
	defer ix.setBusy(nil)
	// What the process has freed (an ingest's batches, just before) goes
	// back to the system first, or it adds to the rebuild's peak: 200,000
	// articles reached 425 MB, 280 MB of it heap the ingest had left.
	defer memlimit.Soft(ix.opts.BuildMemory)()
	debug.FreeOSMemory()
	tmp := ix.dir + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("search index: remove the unfinished rebuild %s: %w", tmp, err)
	}
	last, err := ix.st.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("search index: read the change log: %w", err)
	}
	origin, err := firstChange(ctx, ix.st)
	if err != nil {
		return err
	}
	// The articles stored as of change `last`: every ID whose latest
	// change is a put. Changes after `last` are left to the catch-up.
	live := map[string]bool{}
	var order []string
	err = ix.st.Changes(ctx, 0, func(c store.Change) error {
		if c.Seq > last {
			return errStop
		}
		if _, seen := live[c.ID]; !seen {
			order = append(order, c.ID)
		}
		live[c.ID] = !c.Deleted
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("search index: read the change log: %w", err)
	}
	ids := make([]string, 0, len(order))
	for _, id := range order {
		if live[id] {
			ids = append(ids, id)
		}
	}
	live, order = nil, nil
	if r, ok := ix.st.(memoryReleaser); ok {
		// Reading the whole change log mapped its pages.
		if err := r.ReleaseMemory(ctx); err != nil {
			ix.opts.Logger.Debug("release the database's mapped memory", "error", err)
		}
	}

	ix.opts.Logger.Debug("rebuilding the search index", "reason", reason, "articles", len(ids), "dir", ix.dir)
	report := ix.reporter(reason, len(ids), start)
	report(0)
	stats, err := ix.build(ctx, tmp, ids, last, origin, report)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}

	// Swap the new index in.
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.bi != nil {
		if err := closeBleve(ix.bi); err != nil {
			ix.opts.Logger.Warn("close old search index", "dir", ix.dir, "error", err)
		}
		ix.bi = nil
	}
	if err := os.RemoveAll(ix.dir); err != nil {
		return fmt.Errorf("search index: remove the old index %s: %w", ix.dir, err)
	}
	if err := os.Rename(tmp, ix.dir); err != nil {
		return fmt.Errorf("search index: move the new index into place: %w", err)
	}
	nbi, err := openBleve(ix.dir)
	if err != nil {
		ix.opts.Logger.Error("open rebuilt search index", "dir", ix.dir, "error", err)
		return fmt.Errorf("search index: open %s: %w", ix.dir, errIndexFailed)
	}
	ix.bi, ix.seq, ix.stats = nbi, last, stats
	ix.readOnly = false // the new index is opened for writing
	ix.finished(reason, len(ids), start)
	ix.opts.Logger.Debug("search index rebuilt", "articles", len(ids), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// apply indexes the current state of the articles named in changes, in
// batches of opts.BatchSize changes in log order, and returns the sequence
// number and stats the index has reached. Reading articles from the store
// overlaps with indexing.
//
// With one worker (catching up), each batch also records the last sequence
// number it covers, so the work done survives a crash and is never relied
// on before it is complete. With more (rebuilding a new index, which is
// used only once complete), batches are indexed concurrently, out of
// order, and only a last batch records where the index stands.
func (ix *Index) apply(ctx context.Context, bi bleve.Index, changes []store.Change, workers int, origin string, stats corpusStats, progress func(done int)) (uint64, corpusStats, error) {
	if len(changes) == 0 {
		return 0, stats, nil
	}
	seq := changes[len(changes)-1].Seq
	wasStored := storedBefore(changes)
	changes = latest(changes)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan pendingBatch, workers)
	var readErr error
	go func() {
		defer close(batches)
		readErr = ix.makeBatches(ctx, bi, changes, wasStored, workers == 1, origin, &stats, batches)
	}()
	err := ix.commitBatches(bi, batches, workers, cancel, progress)
	if err == nil {
		err = readErr // set before batches closed, so before the commits ended
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return 0, stats, err
	}
	// A last batch records where the index stands and, once on disk, means
	// all before it are too.
	b := bi.NewBatch()
	setMeta(b, seq, origin, stats)
	if err := ix.commit(bi, b, true); err != nil {
		return 0, stats, err
	}
	return seq, stats, nil
}

// pendingBatch is a batch of size changes, ready to commit.
type pendingBatch struct {
	b    *bleve.Batch
	size int
}

// makeBatches reads the articles of changes into batches of BatchSize,
// keeping stats up to date, and sends them on out until done or ctx ends.
// With inOrder (one committer) each batch also records how far it goes.
func (ix *Index) makeBatches(ctx context.Context, bi bleve.Index, changes []store.Change, wasStored map[string]bool, inOrder bool, origin string, stats *corpusStats, out chan<- pendingBatch) error {
	for start := 0; start < len(changes); start += ix.opts.BatchSize {
		chunk := changes[start:min(start+ix.opts.BatchSize, len(changes))]
		b := bi.NewBatch()
		for _, c := range chunk {
			if err := ix.addChange(ctx, b, c.ID, wasStored[c.ID], stats); err != nil {
				return err
			}
		}
		if inOrder {
			setMeta(b, chunk[len(chunk)-1].Seq, origin, *stats)
		}
		select {
		case out <- pendingBatch{b: b, size: len(chunk)}:
		case <-ctx.Done():
			return nil // the caller reports ctx's error
		}
	}
	return nil
}

// addChange puts article id into b as it is now in the store: its
// document, or a deletion when it is gone.
func (ix *Index) addChange(ctx context.Context, b *bleve.Batch, id string, wasStored bool, stats *corpusStats) error {
	a, ok, err := ix.article(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		b.Delete(id)
		if wasStored {
			stats.remove()
		}
		return nil
	}
	if err := b.IndexAdvanced(ix.docs.document(a)); err != nil {
		ix.opts.Logger.Error("add article to the search index batch", "id", id, "error", err)
		return fmt.Errorf("search index: article %s: %w", id, errIndexFailed)
	}
	if !wasStored {
		stats.add(a)
	}
	return nil
}

// commitBatches commits the batches from in with workers committers,
// reporting the changes done to progress. On the first failure it cancels
// the batch maker and drains the rest.
func (ix *Index) commitBatches(bi bleve.Index, in <-chan pendingBatch, workers int, cancel func(), progress func(done int)) error {
	var (
		mu   sync.Mutex
		err  error
		done int
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range in {
				mu.Lock()
				failed := err != nil
				mu.Unlock()
				if failed {
					continue // drain
				}
				cerr := ix.commit(bi, p.b, false)
				mu.Lock()
				if cerr != nil && err == nil {
					err = cerr
					cancel()
				}
				done += p.size
				if cerr == nil && progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return err
}

// latest keeps the last change of each ID, in log order. What an ID's
// article is now is in the store, so earlier changes add nothing, and with
// each ID once, batches may be applied in any order.
//
// A batch records the sequence number of its last change: every change up
// to it is then applied, or belongs to an ID whose later change comes in a
// later batch.
func latest(changes []store.Change) []store.Change {
	seen := make(map[string]bool, len(changes))
	out := make([]store.Change, 0, len(changes))
	for i := len(changes) - 1; i >= 0; i-- {
		if c := changes[i]; !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	slices.Reverse(out)
	return out
}

// storedBefore tells, for each ID in changes, whether its article was
// stored before the first of them: when its first change here deletes it.
// (The store logs a put only for an article it did not hold, and a delete
// only for one it did, so an ID's puts and deletes alternate.) The stats
// count an article in or out only when that changes: an article put and
// deleted again between two catch-ups was never counted, and one deleted
// and put again is counted already.
func storedBefore(changes []store.Change) map[string]bool {
	out := make(map[string]bool, len(changes))
	for _, c := range changes {
		if _, seen := out[c.ID]; !seen {
			out[c.ID] = c.Deleted
		}
	}
	return out
}

// commit applies a batch; with wait, it also waits until the batch is on
// disk, so closing the index right after does not lose it.
func (ix *Index) commit(bi bleve.Index, b *bleve.Batch, wait bool) error {
	var persisted chan error
	if wait {
		persisted = make(chan error, 1)
		b.SetPersistedCallback(func(err error) { persisted <- err })
	}
	if err := bi.Batch(b); err != nil {
		ix.opts.Logger.Error("search index batch", "error", err)
		return fmt.Errorf("search index: apply changes: %w", errIndexFailed)
	}
	if wait {
		select {
		case err := <-persisted:
			if err != nil {
				ix.opts.Logger.Error("search index persist", "error", err)
				return fmt.Errorf("search index: save changes: %w", errIndexFailed)
			}
		case <-time.After(persistTimeout):
			ix.opts.Logger.Error("search index persist: no answer from bleve's writer", "waited", persistTimeout)
			return fmt.Errorf("search index: save changes: %w", errIndexFailed)
		}
	}
	return nil
}

// persistTimeout bounds the wait for bleve to write an index to disk (its
// background writer may be many segments behind after a rebuild).
const persistTimeout = 5 * time.Minute
