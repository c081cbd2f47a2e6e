package search

import (
	"context"
	"errors"

	"github.com/blevesearch/bleve/v2"
)

// Damage found while searching (a segment whose bytes were changed on
// disk, which bleve only notices when a query reads them) is healed
// without an operator: the search that meets it rebuilds the index from
// the database, which is the system of record, and is answered from the
// new index. Searches arriving meanwhile wait for the rebuild; Busy tells
// health checks it is under way.

// heal rebuilds the index after failed, the bleve index a search or
// catch-up found damaged, failed with errIndexFailed. When another caller
// has already replaced it, there is nothing to do.
func (ix *Index) heal(ctx context.Context, failed bleve.Index, reason string) error {
	ix.write.Lock()
	defer ix.write.Unlock()
	if ix.closed {
		return errClosed
	}
	ix.mu.RLock()
	current := ix.bi
	ix.mu.RUnlock()
	switch {
	case current != failed && current != nil:
		return nil
	case failed != nil && failed == ix.healed:
		// Built from the database moments ago and failing already: not
		// damage on disk but something a rebuild would not cure.
		ix.opts.Logger.Error("search index failed again right after a rebuild; not rebuilding again", "dir", ix.dir, "found", reason)
		return errIndexFailed
	}
	ix.opts.Logger.Warn("search index damaged; rebuilding it from the database", "dir", ix.dir, "found", reason)
	if err := ix.rebuild(ctx, reason); err != nil {
		return err
	}
	ix.mu.RLock()
	ix.healed = ix.bi
	ix.mu.RUnlock()
	return ix.catchUp(ctx)
}

// Busy reports a rebuild or a long catch-up under way, with its reason and
// how far it has come; ok is false when there is none.
func (ix *Index) Busy() (p Progress, ok bool) {
	if cur := ix.busy.Load(); cur != nil {
		return *cur, true
	}
	return Progress{}, false
}

// setBusy records the progress of a rebuild or catch-up for Busy, nil
// when it is over.
func (ix *Index) setBusy(p *Progress) { ix.busy.Store(p) }

// failedIndex reports whether err is the index's own failure (damage),
// rather than a query the user got wrong, a cancelled request or the
// database's error.
func failedIndex(err error) bool { return errors.Is(err, errIndexFailed) }
