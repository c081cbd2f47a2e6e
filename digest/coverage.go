package digest

import (
	"context"
	"errors"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// Coverage keeps, outside the local store, which articles the "new"
// digests posted to each channel have covered, so that replicas of a
// cluster, each with its own store and change-log numbering, agree on what
// is new: an article is new to a channel until a digest posted there
// covered it, whichever replica built that digest.
type Coverage interface {
	// Covered returns how far this store's change log is known to be
	// covered for channel (every change up to since), and the IDs that
	// digests posted to channel covered.
	Covered(ctx context.Context, channel string) (since uint64, ids map[string]bool, err error)
	// Advance records that every change up to seq is covered for channel.
	Advance(ctx context.Context, channel string, seq uint64) error
}

// UseCoverage makes "new" digests read what earlier digests covered from
// c instead of the store's per-channel position. Call it before the
// service is used.
func (s *Service) UseCoverage(c Coverage) { s.cover = c }

// newUncovered calls add for each stored article, changed after the
// covered position, that no digest to channel covered yet, and sets d's
// Since and Covered. It moves the position over the changes all covered.
// For a channel no digest covered anything of yet, add is first(add): the
// articles it leaves out count as covered all the same, so the archive
// never comes back as new.
func (s *Service) newUncovered(ctx context.Context, d *Digest, channel string, add func(corpus.Article), first func(func(corpus.Article)) func(corpus.Article)) error {
	since, covered, err := s.cover.Covered(ctx, channel)
	if err != nil {
		return err
	}
	if since == 0 && len(covered) == 0 && first != nil {
		add = first(add)
	}
	d.Since = since
	advance, gap := since, false
	var order []string
	live := map[string]bool{}
	err = s.db.Changes(ctx, since, func(ch store.Change) error {
		if ch.Seq > d.Seq {
			return errStop
		}
		if !ch.Deleted && !covered[ch.ID] {
			gap = true
		}
		if !gap {
			advance = ch.Seq
		}
		if _, ok := live[ch.ID]; !ok {
			order = append(order, ch.ID)
		}
		live[ch.ID] = !ch.Deleted
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	for _, id := range order {
		if !live[id] || covered[id] {
			continue
		}
		a, err := s.db.Article(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted after d.Seq
		}
		if err != nil {
			return err
		}
		d.Covered = append(d.Covered, id)
		add(a)
	}
	if advance > since {
		return s.cover.Advance(ctx, channel, advance)
	}
	return nil
}
