package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The feed poller's state (bucket created on first write, so no schema
// change; a read finds an absent bucket empty):
//
//	feeds  feed name → the poller's state for that feed (opaque bytes)
//
// The store does not interpret the value: the feed package owns its
// encoding (conditional-request validators, last poll, errors, back-off).
// The articles of feed items are stored with Put like files, under paths
// the feed package chooses.
var bucketFeeds = []byte("feeds")

// FeedState returns the state stored for feed name, or nil when there is
// none.
func (db *DB) FeedState(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketFeeds); b != nil {
			if v := b.Get([]byte(name)); v != nil {
				out = append([]byte(nil), v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("feed state %s: %w", name, err)
	}
	return out, nil
}

// FeedStates returns the state of every feed that has one, by name.
func (db *DB) FeedStates(ctx context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeeds)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	return out, nil
}

// PutFeedState replaces the state stored for feed name.
//
// Feed writes are batched: concurrent calls (polls of several feeds) share
// one transaction and one fsync, each still all or nothing.
func (db *DB) PutFeedState(ctx context.Context, name string, state []byte) error {
	_, err := db.PutFeedItems(ctx, name, nil, func([]Outcome) ([]byte, error) { return state, nil })
	return err
}

// PutFeedItems stores the articles of a feed's items (as Put does) and
// the feed's state in one transaction: all of it or, on error, none.
// state is called inside the transaction with the items' outcomes, in
// the order of files, and returns the state to store.
func (db *DB) PutFeedItems(ctx context.Context, name string, files []File, state func([]Outcome) ([]byte, error)) ([]Outcome, error) {
	if name == "" {
		return nil, fmt.Errorf("store feed: empty feed name")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if db.readOnly {
		return nil, fmt.Errorf("store feed %s: %w", name, ErrReadOnly)
	}
	var out []Outcome
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		out = make([]Outcome, 0, len(files)) // a batch may run this again on its own
		w := writer{tx: tx}
		for _, f := range files {
			o, err := w.put(f)
			if err != nil {
				return fmt.Errorf("store %s: %w", f.Path, err)
			}
			out = append(out, o)
		}
		v, err := state(out)
		if err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketFeeds)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), append([]byte(nil), v...))
	})
	if err != nil {
		return nil, fmt.Errorf("store feed %s: %w", name, err)
	}
	return out, nil
}
