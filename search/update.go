package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/digestbot/digestbot/store"
)

// CatchUp applies the database's changes since the index last did: new
// articles become searchable, deleted ones unfindable. Call it after
// loading articles; Open calls it too.
func (ix *Index) CatchUp(ctx context.Context) error {
	ix.write.Lock()
	defer ix.write.Unlock()
	return ix.catchUp(ctx)
}

// Rebuild builds the index anew from the database and swaps it in; the old
// index answers searches until then.
func (ix *Index) Rebuild(ctx context.Context) error {
	ix.write.Lock()
	defer ix.write.Unlock()
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
	origin, err := firstChange(ctx, ix.st)
	if err != nil {
		return err
	}
	start := time.Now()
	// A long backlog (a big ingest) is indexed like a rebuild, two batches
	// at a time; only the end is then recorded.
	workers := 1
	if len(changes) > 2*ix.opts.BatchSize {
		workers = rebuildWorkers
	}
	seq, stats, err := ix.apply(ctx, bi, changes, workers, origin, stats, nil)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	if ix.bi == bi {
		ix.seq, ix.stats = seq, stats
	}
	ix.mu.Unlock()
	ix.opts.Logger.Debug("search index caught up", "changes", len(changes), "seq", seq, "took", time.Since(start))
	return nil
}

// rebuildWorkers is how many batches a rebuild indexes at once: while one
// is being turned into a segment (one core), the next is analysed.
const rebuildWorkers = 2

// rebuild builds a new index from the database beside the current one,
// then replaces it. Killed half-way, it leaves the old index (or none),
// which the next Open rebuilds again.
func (ix *Index) rebuild(ctx context.Context, reason string) error {
	start := time.Now()
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
		if !c.Deleted && !live[c.ID] {
			order = append(order, c.ID)
		}
		live[c.ID] = !c.Deleted
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("search index: read the change log: %w", err)
	}
	puts := make([]store.Change, 0, len(order))
	for _, id := range order {
		if live[id] {
			puts = append(puts, store.Change{Seq: last, ID: id})
		}
	}

	ix.opts.Logger.Debug("rebuilding the search index", "reason", reason, "articles", len(puts), "dir", ix.dir)
	report := func(done int, finished bool) {
		if ix.opts.Progress != nil {
			ix.opts.Progress(Progress{Reason: reason, Done: done, Total: len(puts), Finished: finished, Elapsed: time.Since(start)})
		}
	}
	report(0, false)
	bi, err := bleve.NewUsing(tmp, ix.im, scorch.Name, scorch.Name, runtimeConfig())
	if err != nil {
		ix.opts.Logger.Error("create search index", "dir", tmp, "error", err)
		return fmt.Errorf("search index: create %s: %w", tmp, errIndexFailed)
	}
	_, stats, err := ix.apply(ctx, bi, puts, rebuildWorkers, origin, corpusStats{}, func(done int) { report(done, false) })
	if len(puts) == 0 && err == nil {
		// Nothing to index: still record what the index is.
		b := bi.NewBatch()
		setMeta(b, last, origin, stats)
		err = ix.commit(bi, b, true)
	}
	if cerr := closeBleve(bi); err == nil && cerr != nil {
		ix.opts.Logger.Error("close new search index", "dir", tmp, "error", cerr)
		err = fmt.Errorf("search index: close %s: %w", tmp, errIndexFailed)
	}
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
	report(len(puts), true)
	ix.opts.Logger.Debug("search index rebuilt", "articles", len(puts), "took", time.Since(start).Round(time.Millisecond))
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
	changes = latest(changes)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type pending struct {
		b    *bleve.Batch
		size int
	}
	batches := make(chan pending, workers)
	var readErr error
	go func() {
		defer close(batches)
		for start := 0; start < len(changes); start += ix.opts.BatchSize {
			chunk := changes[start:min(start+ix.opts.BatchSize, len(changes))]
			b := bi.NewBatch()
			for _, c := range chunk {
				id := c.ID
				a, ok, err := ix.article(ctx, id)
				if err != nil {
					readErr = err
					return
				}
				if !ok {
					b.Delete(id)
					stats.remove()
					continue
				}
				if err := b.IndexAdvanced(ix.docs.document(a)); err != nil {
					ix.opts.Logger.Error("add article to the search index batch", "id", id, "error", err)
					readErr = fmt.Errorf("search index: article %s: %w", id, errIndexFailed)
					return
				}
				stats.add(a)
			}
			if workers == 1 {
				setMeta(b, chunk[len(chunk)-1].Seq, origin, stats)
			}
			select {
			case batches <- pending{b: b, size: len(chunk)}:
			case <-ctx.Done():
				return
			}
		}
	}()

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
			for p := range batches {
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
	if err == nil {
		err = readErr
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
		if err := <-persisted; err != nil {
			ix.opts.Logger.Error("search index persist", "error", err)
			return fmt.Errorf("search index: save changes: %w", errIndexFailed)
		}
	}
	return nil
}
