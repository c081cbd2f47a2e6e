package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/corpus"
)

// Derived data for summaries (created on first write, so no schema change;
// a read finds an absent bucket empty):
//
//	summaries       content hash + 0x00 + params → summary (opaque to the store)
//	term_counts     term → number of articles containing it (uvarint);
//	                0x00 "meta" → version, seq, docs, stale
//	summary_marks   params → change-log sequence number (uvarint) up to
//	                which summaries were made ahead of use
//
// All can be deleted at any time and are rebuilt on demand.
var (
	bucketSummaries    = []byte("summaries")
	bucketTermCounts   = []byte("term_counts")
	bucketSummaryMarks = []byte("summary_marks")

	keyTermCountsMeta = []byte("\x00meta")
)

func summaryKey(hash, params string) []byte {
	k := make([]byte, 0, len(hash)+1+len(params))
	k = append(k, hash...)
	k = append(k, 0)
	return append(k, params...)
}

// Summaries returns the cached summaries made with params for the articles
// whose content hashes are given, keyed by hash; hashes without one are
// absent from the map. A summary is keyed by the article's content hash,
// so an article that changes never finds its old summary.
func (db *DB) Summaries(ctx context.Context, params string, hashes []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(hashes))
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSummaries)
		if b == nil {
			return nil
		}
		for _, h := range hashes {
			if v := b.Get(summaryKey(h, params)); v != nil {
				out[h] = bytes.Clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cached summaries: %w", err)
	}
	return out, nil
}

// PutSummaries caches summaries made with params, keyed by content hash.
func (db *DB) PutSummaries(ctx context.Context, params string, values map[string][]byte) error {
	if len(values) == 0 {
		return nil
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSummaries)
		if err != nil {
			return err
		}
		for h, v := range values {
			if err := b.Put(summaryKey(h, params), bytes.Clone(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache summaries: %w", err)
	}
	return nil
}

// Unsummarized returns those of ids that are stored and have no summary
// cached under params, in the order given, from one read.
func (db *DB) Unsummarized(ctx context.Context, params string, ids []string) ([]string, error) {
	var out []string
	err := db.view(ctx, func(tx *bolt.Tx) error {
		arts, sums := tx.Bucket(bucketArticles), tx.Bucket(bucketSummaries)
		for _, id := range ids {
			v := arts.Get([]byte(id))
			if v == nil {
				continue // deleted since
			}
			if sums != nil {
				a, err := decodeArticleBody(v, false)
				if err != nil {
					return fmt.Errorf("article %s: %w", id, err)
				}
				if sums.Get(summaryKey(a.Hash, params)) != nil {
					continue
				}
			}
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find articles without a cached summary: %w", err)
	}
	return out, nil
}

// SummaryMark returns the change-log sequence number recorded with
// SetSummaryMark for params, and false when none is.
func (db *DB) SummaryMark(ctx context.Context, params string) (uint64, bool, error) {
	var seq uint64
	found := false
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSummaryMarks)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(params))
		if v == nil {
			return nil
		}
		n, size := binary.Uvarint(v)
		if size <= 0 {
			return fmt.Errorf("summary mark %q: %w", params, errCorrupt)
		}
		seq, found = n, true
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("read the summary mark: %w", err)
	}
	return seq, found, nil
}

// SetSummaryMark records that summaries with params were made ahead of use
// for the changes up to seq.
func (db *DB) SetSummaryMark(ctx context.Context, params string, seq uint64) error {
	if params == "" {
		return fmt.Errorf("set the summary mark: empty params")
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSummaryMarks)
		if err != nil {
			return err
		}
		return b.Put([]byte(params), binary.AppendUvarint(nil, seq))
	})
	if err != nil {
		return fmt.Errorf("set the summary mark: %w", err)
	}
	return nil
}

// PruneSummaries deletes cached summaries of content no longer stored and
// returns how many it deleted.
func (db *DB) PruneSummaries(ctx context.Context) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSummaries)
		if b == nil {
			return nil
		}
		byHash := tx.Bucket(bucketByHash)
		var stale [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			hash, _, _ := bytes.Cut(k, []byte{0})
			if byHash.Get(hash) == nil {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune cached summaries: %w", err)
	}
	return n, nil
}

// TermCounts is the document-frequency table summaries compute IDF from:
// for each term, how many stored articles contain it.
type TermCounts struct {
	// Version names the analysis the terms come from; counts made by
	// another analysis are rebuilt rather than updated.
	Version string
	// Seq is the change-log sequence number the counts include.
	Seq uint64
	// Docs is the number of articles counted.
	Docs int
	// Stale is the number of counted articles deleted since: their terms
	// are still counted (an update cannot know them). Past a tenth of Docs
	// the table is rebuilt.
	Stale int
	// DF maps each term to the number of articles containing it.
	DF map[string]int
}

// TermCounts returns the stored table, empty (Seq 0) when there is none.
func (db *DB) TermCounts(ctx context.Context) (TermCounts, error) {
	var tc TermCounts
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		tc, err = readTermCounts(tx.Bucket(bucketTermCounts), true)
		return err
	})
	if err != nil {
		return TermCounts{}, fmt.Errorf("read term counts: %w", err)
	}
	return tc, nil
}

// UpdateTermCounts brings the table up to the latest change and returns it
// with changed true, or returns the current table's header (DF nil) with
// changed false when it was up to date. terms gives the terms of an article
// (repeats are counted once). New articles are added from the change log;
// the table is rebuilt from every stored article when it is missing, was
// made by another version, or too many counted articles were deleted. It
// runs in one write transaction, so the table always matches one state of
// the store.
func (db *DB) UpdateTermCounts(ctx context.Context, version string, terms func(corpus.Article) []string) (tc TermCounts, changed bool, err error) {
	if version == "" {
		return TermCounts{}, false, fmt.Errorf("update term counts: empty analysis version")
	}
	fresh := false
	err = db.view(ctx, func(tx *bolt.Tx) error {
		h, err := readTermCounts(tx.Bucket(bucketTermCounts), false)
		if err != nil {
			return err
		}
		tc = h
		fresh = h.Version == version && h.Seq == tx.Bucket(bucketChanges).Sequence()
		return nil
	})
	if err != nil || fresh {
		return tc, false, wrapTermErr(err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTermCounts)
		if err != nil {
			return err
		}
		h, err := readTermCounts(b, false)
		if err != nil {
			return err
		}
		seq := tx.Bucket(bucketChanges).Sequence()
		if h.Version != version || h.Stale*10 > h.Docs {
			if err := tx.DeleteBucket(bucketTermCounts); err != nil {
				return err
			}
			if b, err = tx.CreateBucket(bucketTermCounts); err != nil {
				return err
			}
			h = TermCounts{Version: version}
			delta := map[string]int{}
			err := tx.Bucket(bucketArticles).ForEach(func(_, v []byte) error {
				a, err := decodeArticle(v)
				if err != nil {
					return err
				}
				addTerms(delta, terms(a))
				h.Docs++
				return nil
			})
			if err != nil {
				return err
			}
			if err := applyTermDelta(b, delta); err != nil {
				return err
			}
		} else if h.Seq < seq {
			if err := h.applyChanges(tx, b, terms); err != nil {
				return err
			}
		}
		h.Seq = seq
		if err := b.Put(keyTermCountsMeta, encodeTermMeta(h)); err != nil {
			return err
		}
		tc, err = readTermCounts(b, true)
		return err
	})
	if err != nil {
		return TermCounts{}, false, wrapTermErr(err)
	}
	return tc, true, nil
}

func wrapTermErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("update term counts: %w", err)
}

// applyChanges adds the articles stored after h.Seq and counts the ones
// deleted since as stale.
func (h *TermCounts) applyChanges(tx *bolt.Tx, b *bolt.Bucket, terms func(corpus.Article) []string) error {
	last := map[string]bool{} // id → put (true) or delete (false), the latest op
	putHere := map[string]bool{}
	var order []string
	c := tx.Bucket(bucketChanges).Cursor()
	for k, v := c.Seek(u64(h.Seq + 1)); k != nil; k, v = c.Next() {
		if len(k) != 8 || len(v) < 1 {
			return fmt.Errorf("change log entry %x: %w", k, errCorrupt)
		}
		id := string(v[1:])
		if _, ok := last[id]; !ok {
			order = append(order, id)
		}
		last[id] = v[0] == opPut
		if v[0] == opPut {
			putHere[id] = true
		}
	}
	delta := map[string]int{}
	arts := tx.Bucket(bucketArticles)
	for _, id := range order {
		switch {
		case last[id]:
			v := arts.Get([]byte(id))
			if v == nil {
				continue
			}
			a, err := decodeArticle(v)
			if err != nil {
				return err
			}
			addTerms(delta, terms(a))
			h.Docs++
		case !putHere[id]:
			h.Stale++ // counted earlier, gone now
		}
	}
	return applyTermDelta(b, delta)
}

// addTerms adds one to delta for each distinct usable term.
func addTerms(delta map[string]int, terms []string) {
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if t == "" || seen[t] || len(t) > 200 || bytes.IndexByte([]byte(t), 0) >= 0 {
			continue
		}
		seen[t] = true
		delta[t]++
	}
}

func applyTermDelta(b *bolt.Bucket, delta map[string]int) error {
	for t, d := range delta {
		k := []byte(t)
		n := uint64(0)
		if v := b.Get(k); v != nil {
			n, _ = binary.Uvarint(v)
		}
		if err := b.Put(k, binary.AppendUvarint(nil, n+uint64(d))); err != nil {
			return err
		}
	}
	return nil
}

func encodeTermMeta(h TermCounts) []byte {
	dst := []byte{1}
	dst = appendString(dst, h.Version)
	dst = binary.AppendUvarint(dst, h.Seq)
	dst = binary.AppendUvarint(dst, uint64(h.Docs))
	return binary.AppendUvarint(dst, uint64(h.Stale))
}

// readTermCounts reads the header and, with withDF, every count. A nil
// bucket or one without a header reads as an empty table.
func readTermCounts(b *bolt.Bucket, withDF bool) (TermCounts, error) {
	var h TermCounts
	if b == nil {
		return h, nil
	}
	if v := b.Get(keyTermCountsMeta); v != nil {
		if len(v) == 0 || v[0] != 1 {
			return h, fmt.Errorf("term counts header: %w", errCorrupt)
		}
		d := decoder{buf: v[1:]}
		h.Version = d.string()
		h.Seq = d.uvarint()
		h.Docs = int(d.uvarint())
		h.Stale = int(d.uvarint())
		if d.err != nil {
			return TermCounts{}, fmt.Errorf("term counts header: %w", d.err)
		}
	}
	if !withDF {
		return h, nil
	}
	h.DF = map[string]int{}
	err := b.ForEach(func(k, v []byte) error {
		if len(k) > 0 && k[0] == 0 {
			return nil
		}
		n, size := binary.Uvarint(v)
		if size <= 0 {
			return fmt.Errorf("term count %q: %w", k, errCorrupt)
		}
		h.DF[string(k)] = int(n)
		return nil
	})
	return h, err
}
