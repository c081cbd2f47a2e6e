package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Check verifies the database's internal consistency: every article is in
// the date and hash indexes under its own key, every index entry and file
// record points at a stored article, and the reference counts equal a
// recount of the file records. It returns one line per problem found.
func (db *DB) Check(ctx context.Context) ([]string, error) {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	err := db.view(ctx, func(tx *bolt.Tx) error {
		arts := tx.Bucket(bucketArticles)
		byDate := tx.Bucket(bucketByDate)
		byHash := tx.Bucket(bucketByHash)
		err := arts.ForEach(func(k, v []byte) error {
			a, err := decodeArticle(v)
			if err != nil {
				report("article %s: %v", quoteName(string(k)), err)
				return nil
			}
			if a.ID != string(k) {
				report("article stored under %s has ID %s", quoteName(string(k)), quoteName(a.ID))
			}
			if byDate.Get(dateKey(a)) == nil {
				report("article %s missing from the date index", quoteName(string(k)))
			}
			if id := byHash.Get([]byte(a.Hash)); string(id) != a.ID {
				report("article %s: hash index points at %q", quoteName(string(k)), id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		_ = byDate.ForEach(func(k, _ []byte) error {
			if len(k) < 10 || arts.Get(k[9:]) == nil {
				report("date index entry %q points at no article", k)
			}
			return nil
		})
		_ = byHash.ForEach(func(k, v []byte) error {
			if arts.Get(v) == nil {
				report("hash index entry %s points at missing article %s", quoteName(string(k)), quoteName(string(v)))
			}
			return nil
		})
		counts := map[string]uint64{}
		_ = tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			r, err := decodeFile(v)
			switch {
			case err != nil:
				report("file record %s: %v", quoteName(string(k)), err)
			case arts.Get([]byte(r.ArticleID)) == nil:
				report("file %s points at missing article %s", quoteName(string(k)), quoteName(r.ArticleID))
			default:
				counts[r.ArticleID]++
			}
			return nil
		})
		_ = tx.Bucket(bucketRefs).ForEach(func(k, v []byte) error {
			n, _ := binary.Uvarint(v)
			if counts[string(k)] != n {
				report("article %s: reference count %d, but %d files hold it", quoteName(string(k)), n, counts[string(k)])
			}
			delete(counts, string(k))
			return nil
		})
		for id, n := range counts {
			report("article %s: held by %d files but has no reference count", quoteName(id), n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check database: %w", err)
	}
	return problems, nil
}
