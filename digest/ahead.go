package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/digestbot/digestbot/store"
)

// Summaries made ahead of use: a background worker (internal/app) makes
// the summaries of newly stored articles before a digest asks for them,
// so that a scheduled digest finds them cached. It lists the work with
// Backlog, makes it a few articles at a time with CacheAhead, and records
// with MarkAhead how far the change log is done. Everything it makes is
// cached as it goes and the mark moves only when a whole backlog is done,
// so an interrupted worker loses nothing: the next one lists the same
// changes again and skips the summaries already cached. A digest never
// waits for it: what is not cached yet, Summaries makes itself.

// Backlog is the work of making the summaries with one set of options
// ahead of use.
type Backlog struct {
	Options Options
	// IDs are the articles stored or changed since the mark that have no
	// cached summary, the most recently stored first.
	IDs []string
	// Upto is the change the list goes up to: pass it to MarkAhead once
	// the IDs are done.
	Upto uint64
	// Skipped counts articles left out, older than the limit.
	Skipped int
}

// Backlog lists the stored articles whose summaries with opts are to be
// made ahead of use: those stored or changed after the mark MarkAhead
// recorded for opts, at most limit of them (the most recently stored),
// without a cached summary. With no mark yet, the latest limit articles of the
// whole store are looked at.
func (s *Service) Backlog(ctx context.Context, opts Options, limit int) (Backlog, error) {
	if err := opts.Validate(); err != nil {
		return Backlog{}, err
	}
	params := s.cacheParams(opts)
	b := Backlog{Options: opts}
	since, _, err := s.db.SummaryMark(ctx, params)
	if err != nil {
		return Backlog{}, err
	}
	if b.Upto, err = s.db.LastSeq(ctx); err != nil {
		return Backlog{}, fmt.Errorf("list summaries to make: %w", err)
	}
	ids, err := s.changedSince(ctx, since, b.Upto)
	if err != nil {
		return Backlog{}, fmt.Errorf("list summaries to make: %w", err)
	}
	slices.Reverse(ids)
	if limit > 0 && len(ids) > limit {
		b.Skipped = len(ids) - limit
		ids = ids[:limit]
	}
	if b.IDs, err = s.db.Unsummarized(ctx, params, ids); err != nil {
		return Backlog{}, err
	}
	return b, nil
}

// CacheAhead makes the summaries with opts of the stored articles ids and
// caches them in one write, one after another on the calling goroutine
// (a background worker's pace, not a digest's), and returns how many it
// made. It first brings the term counts up to date, which a digest would
// otherwise do. When ctx ends it stops between articles and still caches
// those it made. Articles deleted meanwhile are skipped.
func (s *Service) CacheAhead(ctx context.Context, ids []string, opts Options) (int, error) {
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	stats, err := s.Stats(ctx)
	if err != nil {
		return 0, err
	}
	params := s.cacheParams(opts)
	put := make(map[string][]byte, len(ids))
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		a, err := s.db.Article(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return 0, fmt.Errorf("summarise %s ahead: %w", id, err)
		}
		if a.Hash == "" {
			continue
		}
		v, err := json.Marshal(s.sum.Summarize(a, stats, opts).Sentences)
		if err != nil {
			return 0, err
		}
		put[a.Hash] = v
	}
	// Cached even when ctx ended: a short write that keeps the work done.
	if err := s.db.PutSummaries(context.WithoutCancel(ctx), params, put); err != nil {
		return 0, err
	}
	return len(put), ctx.Err()
}

// MarkAhead records that the summaries with opts are made for the changes
// up to upto (a Backlog's Upto): the next Backlog starts after it.
func (s *Service) MarkAhead(ctx context.Context, opts Options, upto uint64) error {
	return s.db.SetSummaryMark(ctx, s.cacheParams(opts), upto)
}
