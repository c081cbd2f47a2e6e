package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// IDs returns the IDs of every stored article, in ascending order, read
// from the articles themselves rather than from an index over them: what a
// consistency check of something derived from the store (the search index)
// compares against.
func (db *DB) IDs(ctx context.Context) ([]string, error) {
	var out []string
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketArticles).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list article IDs: %w", err)
	}
	return out, nil
}
