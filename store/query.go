package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/corpus"
)

// MinPrefix is the shortest ID prefix Article accepts.
const MinPrefix = 4

// Article returns the article with the given ID, or with the only ID that
// starts with id when id is at least MinPrefix characters long. IDs are
// lower-case hex, so id matches in any case ("AD0293" finds ad0293…). A
// shorter id that is not a whole ID gives ErrTooShort.
func (db *DB) Article(ctx context.Context, id string) (corpus.Article, error) {
	return db.article(ctx, id, true)
}

// Header is Article without the body: cheaper, as bodies are most of the
// bytes and stored compressed.
func (db *DB) Header(ctx context.Context, id string) (corpus.Article, error) {
	return db.article(ctx, id, false)
}

func (db *DB) article(ctx context.Context, id string, withBody bool) (corpus.Article, error) {
	var a corpus.Article
	id = strings.ToLower(id)
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketArticles)
		if v := b.Get([]byte(id)); v != nil {
			var err error
			a, err = decodeArticleBody(v, withBody)
			return err
		}
		if len(id) < MinPrefix {
			return ErrTooShort
		}
		c := b.Cursor()
		k, v := c.Seek([]byte(id))
		if k == nil || !bytes.HasPrefix(k, []byte(id)) {
			return ErrNotFound
		}
		if k2, _ := c.Next(); k2 != nil && bytes.HasPrefix(k2, []byte(id)) {
			return ErrAmbiguous
		}
		var err error
		a, err = decodeArticleBody(v, withBody)
		return err
	})
	if err != nil {
		return corpus.Article{}, fmt.Errorf("article %q: %w", id, err)
	}
	return a, nil
}

// Empty reports whether no article is stored. Unlike Count, it reads one
// page rather than the whole articles bucket.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var empty bool
	err := db.view(ctx, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketArticles).Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}

// Count returns the number of stored articles. It reads the whole articles
// bucket; Empty is cheaper when that is all the caller wants to know.
func (db *DB) Count(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketArticles).Stats().KeyN
		return nil
	})
	return n, err
}

// All returns every article, newest first; articles without a date come
// last.
func (db *DB) All(ctx context.Context) ([]corpus.Article, error) {
	out, err := db.list(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

// Headers returns every article without its Body, in the order of All:
// what title listings and autocomplete need, at a fraction of the cost.
func (db *DB) Headers(ctx context.Context) ([]corpus.Article, error) {
	out, err := db.list(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("list article headers: %w", err)
	}
	return out, nil
}

// list walks the date index from the newest entry, undated articles last.
func (db *DB) list(ctx context.Context, withBody bool) ([]corpus.Article, error) {
	var out, unknown []corpus.Article
	err := db.view(ctx, func(tx *bolt.Tx) error {
		arts := tx.Bucket(bucketArticles)
		c := tx.Bucket(bucketByDate).Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			a, err := articleAt(arts, k, withBody)
			if err != nil {
				return err
			}
			if a.Date.Known() {
				out = append(out, a)
			} else {
				unknown = append(unknown, a)
			}
		}
		return nil
	})
	return append(out, unknown...), err
}

// Between returns the articles whose date lies wholly within the days from
// and to (inclusive, calendar days; the clock time is ignored), newest first.
// An article dated only "2023-07" is within July 2023 and within 2023, but
// not within 2023-07-03: a day is only claimed when the text gave it.
func (db *DB) Between(ctx context.Context, from, to time.Time) ([]corpus.Article, error) {
	lo := []byte(from.Format("20060102"))
	hi := []byte(to.Format("20060102"))
	last := civil(to)
	var out []corpus.Article
	err := db.view(ctx, func(tx *bolt.Tx) error {
		arts := tx.Bucket(bucketArticles)
		c := tx.Bucket(bucketByDate).Cursor()
		for k, _ := c.Seek(lo); k != nil && bytes.Compare(k[:8], hi) <= 0; k, _ = c.Next() {
			a, err := articleAt(arts, k, true)
			if err != nil {
				return err
			}
			if _, end, ok := a.Date.Span(); ok && !end.After(last) {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("articles from %s to %s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// civil returns the calendar day of t as a UTC midnight.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func articleAt(arts *bolt.Bucket, dateKey []byte, withBody bool) (corpus.Article, error) {
	id := dateKey[9:]
	v := arts.Get(id)
	if v == nil {
		return corpus.Article{}, fmt.Errorf("date index names missing article %s: %w", id, errCorrupt)
	}
	return decodeArticleBody(v, withBody)
}

// Change is one entry of the change log.
type Change struct {
	Seq     uint64
	ID      string
	Deleted bool
}

// Changes calls fn for each change after sequence number after, in order.
// A consumer such as the search index records the last Seq it applied and
// catches up from there.
func (db *DB) Changes(ctx context.Context, after uint64, fn func(Change) error) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(k) != 8 || len(v) < 1 {
				return fmt.Errorf("change log entry %x: %w", k, errCorrupt)
			}
			ch := Change{Seq: binary.BigEndian.Uint64(k), ID: string(v[1:]), Deleted: v[0] == opDelete}
			if err := fn(ch); err != nil {
				return err
			}
		}
		return nil
	})
}

// LastSeq returns the sequence number of the latest change, 0 when none.
func (db *DB) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketChanges).Sequence()
		return nil
	})
	return seq, err
}
