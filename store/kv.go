package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketKV holds small values the bot keeps between interactions, such as
// a search query too long to fit in a button's custom ID. Each value carries
// the time it was stored so stale ones can be told apart and pruned.
var bucketKV = []byte("kv")

// PutValue stores value under key, stamped with now.
func (db *DB) PutValue(ctx context.Context, key string, value []byte, now time.Time) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketKV)
		if err != nil {
			return err
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), uint64(now.Unix()))
		return b.Put([]byte(key), append(v, value...))
	})
	if err != nil {
		return fmt.Errorf("store value %s: %w", key, err)
	}
	return nil
}

// Value returns the value stored under key and when it was stored, or
// ErrNotFound.
func (db *DB) Value(ctx context.Context, key string) ([]byte, time.Time, error) {
	var out []byte
	var at time.Time
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV)
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(key))
		if len(v) < 8 {
			return ErrNotFound
		}
		at = time.Unix(int64(binary.BigEndian.Uint64(v)), 0)
		out = append([]byte(nil), v[8:]...)
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("value %s: %w", key, err)
	}
	return out, at, nil
}

// PruneValues deletes values stored before cutoff and returns how many.
func (db *DB) PruneValues(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; {
			if len(v) < 8 || int64(binary.BigEndian.Uint64(v)) < cutoff.Unix() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(k)
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune values: %w", err)
	}
	return n, nil
}
