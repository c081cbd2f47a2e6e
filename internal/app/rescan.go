package app

import (
	"context"
	"log/slog"
	"time"
)

// Rescan loads new and changed files from the corpus folders on a fixed
// interval and brings the search index up to date after a scan that
// stored something.
type Rescan struct {
	// Every is the interval; zero or less turns rescanning off.
	Every time.Duration
	// Load scans the folders and stores what is new or changed, returning
	// how many articles it added and updated. An error is logged (unless
	// ctx ended) and the next scan tries again.
	Load func(ctx context.Context) (added, updated int, err error)
	// CatchUp brings the search index up to date with the store.
	CatchUp func(ctx context.Context) error
	Log     *slog.Logger
}

// Run rescans every r.Every until ctx is done.
func (r Rescan) Run(ctx context.Context) {
	if r.Every <= 0 {
		return
	}
	tick := time.NewTicker(r.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.Once(ctx)
	}
}

// Once runs one scan.
func (r Rescan) Once(ctx context.Context) {
	added, updated, err := r.Load(ctx)
	if err != nil && ctx.Err() == nil {
		r.Log.Warn("rescan of the corpus folders", "error", err)
	}
	if added+updated == 0 {
		return
	}
	r.Log.Info("rescan loaded new articles", "added", added, "updated", updated)
	if err := r.CatchUp(ctx); err != nil && ctx.Err() == nil {
		r.Log.Warn("search index catch-up after rescan", "error", err)
	}
}
