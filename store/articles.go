package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/corpus"
)

// Status says what storing one file did.
type Status string

// The outcomes of storing a file.
const (
	Added     Status = "added"     // a new article
	Updated   Status = "updated"   // the file held another article before; it was replaced
	Unchanged Status = "unchanged" // the file's article was already stored
	Duplicate Status = "duplicate" // another file already holds the same article
)

// File is one parsed file to store.
type File struct {
	// Path identifies the file across runs (an absolute path, or a name
	// such as "sample:000.txt" for embedded files).
	Path string
	// RawHash is a hash of the file's raw bytes and Size their length; they
	// let a later run recognise the file as unchanged without parsing it.
	RawHash string
	Size    int64
	// ModTime is the file's modification time, zero when unknown.
	ModTime time.Time
	Article corpus.Article

	// encoded is Article's stored form and encodedFor a copy of the
	// article it was made of, both set by Prepare.
	encoded    []byte
	encodedFor corpus.Article
}

// Prepare encodes f's article now, outside any transaction, so that Put
// has only to write it: compressing the body is most of the work of
// storing an article, and Put runs one transaction at a time while files
// can be prepared on every core. It is optional. Put encodes the article
// afresh if it has changed since, or if its ID is taken by other content.
func (f *File) Prepare() {
	f.encoded = encodeArticle(nil, f.Article)
	f.encodedFor = f.Article
}

// value returns the stored form of a, f's article under the ID Put gives
// it: the one Prepare made when it is of the same article.
func (f *File) value(a corpus.Article) []byte {
	if f.encoded != nil && a == f.encodedFor {
		return f.encoded
	}
	return encodeArticle(nil, a)
}

// Outcome is what Put did with one File.
type Outcome struct {
	Status Status
	// ID is the ID of the file's article as stored.
	ID string
	// Previous is the ID the file held before, for Updated.
	Previous string
	// Original names the file that first stored the article, for Duplicate.
	Original string
}

// FileInfo is what the store remembers of an ingested file.
type FileInfo struct {
	Path    string
	RawHash string
	Size    int64
	// ModTime is the modification time recorded, zero when unknown.
	ModTime time.Time
	// Article is the file's article without its Body.
	Article corpus.Article
}

// Files returns what is stored for each of paths that the store knows, in
// one read transaction. It lets an ingest skip files whose raw bytes have
// not changed.
func (db *DB) Files(ctx context.Context, paths []string) (map[string]FileInfo, error) {
	out := make(map[string]FileInfo, len(paths))
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles)
		for _, p := range paths {
			v := b.Get([]byte(p))
			if v == nil {
				continue
			}
			r, err := decodeFile(v)
			if err != nil {
				return fmt.Errorf("file %s: %w", p, err)
			}
			info := FileInfo{Path: p, RawHash: r.RawHash, Size: r.Size}
			if r.ModTime != 0 {
				info.ModTime = time.Unix(0, r.ModTime)
			}
			if v := tx.Bucket(bucketArticles).Get([]byte(r.ArticleID)); v != nil {
				if info.Article, err = decodeArticleBody(v, false); err != nil {
					return fmt.Errorf("file %s: %w", p, err)
				}
			}
			out[p] = info
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up files: %w", err)
	}
	return out, nil
}

// Put stores the articles of files in one transaction: all of them or, on
// error, none. The outcomes are in the order of files.
func (db *DB) Put(ctx context.Context, files []File) ([]Outcome, error) {
	out := make([]Outcome, 0, len(files))
	err := db.update(ctx, func(tx *bolt.Tx) error {
		w := writer{tx: tx}
		for _, f := range files {
			o, err := w.put(f)
			if err != nil {
				return fmt.Errorf("store %s: %w", f.Path, err)
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes an article, its index entries and the records of the files
// that held it.
func (db *DB) Delete(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		w := writer{tx: tx}
		if tx.Bucket(bucketArticles).Get([]byte(id)) == nil {
			return fmt.Errorf("delete article %s: %w", id, ErrNotFound)
		}
		files := tx.Bucket(bucketFiles)
		var paths [][]byte
		err := files.ForEach(func(k, v []byte) error {
			r, err := decodeFile(v)
			if err == nil && r.ArticleID == id {
				paths = append(paths, append([]byte(nil), k...))
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("delete article %s: %w", id, err)
		}
		for _, p := range paths {
			if err := files.Delete(p); err != nil {
				return err
			}
		}
		return w.remove(id)
	})
}

// writer applies changes inside one write transaction.
type writer struct{ tx *bolt.Tx }

func (w writer) put(f File) (Outcome, error) {
	a := f.Article
	files := w.tx.Bucket(bucketFiles)
	var prev *fileRecord
	if v := files.Get([]byte(f.Path)); v != nil {
		r, err := decodeFile(v)
		if err != nil {
			return Outcome{}, err
		}
		prev = &r
	}
	rec := fileRecord{RawHash: f.RawHash, Size: f.Size}
	if !f.ModTime.IsZero() {
		rec.ModTime = f.ModTime.UnixNano()
	}

	if id := w.tx.Bucket(bucketByHash).Get([]byte(a.Hash)); id != nil {
		rec.ArticleID = string(id)
		if prev != nil && prev.ArticleID == rec.ArticleID {
			// Same article; only the raw bytes may differ (line ends, BOM).
			return Outcome{Status: Unchanged, ID: rec.ArticleID}, files.Put([]byte(f.Path), encodeFile(rec))
		}
		orig, err := w.article(rec.ArticleID)
		if err != nil {
			return Outcome{}, err
		}
		if err := w.addRef(rec.ArticleID, 1); err != nil {
			return Outcome{}, err
		}
		if prev != nil {
			if err := w.release(prev.ArticleID); err != nil {
				return Outcome{}, err
			}
		}
		return Outcome{Status: Duplicate, ID: rec.ArticleID, Original: orig.Source}, files.Put([]byte(f.Path), encodeFile(rec))
	}

	// New content. IDs are a prefix of the content hash; on the rare
	// collision with a different article, use a longer prefix.
	arts := w.tx.Bucket(bucketArticles)
	for n := len(a.ID); arts.Get([]byte(a.ID)) != nil && n < len(a.Hash); {
		n += 4
		a.ID = a.Hash[:min(n, len(a.Hash))]
	}
	if arts.Get([]byte(a.ID)) != nil {
		return Outcome{}, fmt.Errorf("article ID %s already used by other content", a.ID)
	}
	// bbolt keeps a reference to the value until the commit: a new buffer
	// per article, never a reused one.
	if err := arts.Put([]byte(a.ID), f.value(a)); err != nil {
		return Outcome{}, err
	}
	if err := w.tx.Bucket(bucketByDate).Put(dateKey(a), nil); err != nil {
		return Outcome{}, err
	}
	if err := w.tx.Bucket(bucketByHash).Put([]byte(a.Hash), []byte(a.ID)); err != nil {
		return Outcome{}, err
	}
	if err := w.addRef(a.ID, 1); err != nil {
		return Outcome{}, err
	}
	if err := w.logChange(opPut, a.ID); err != nil {
		return Outcome{}, err
	}
	rec.ArticleID = a.ID
	if err := files.Put([]byte(f.Path), encodeFile(rec)); err != nil {
		return Outcome{}, err
	}
	if prev == nil {
		return Outcome{Status: Added, ID: a.ID}, nil
	}
	if err := w.release(prev.ArticleID); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Updated, ID: a.ID, Previous: prev.ArticleID}, nil
}

func (w writer) article(id string) (corpus.Article, error) {
	v := w.tx.Bucket(bucketArticles).Get([]byte(id))
	if v == nil {
		return corpus.Article{}, fmt.Errorf("article %s: %w", id, ErrNotFound)
	}
	return decodeArticle(v)
}

// addRef adds delta to the number of files holding article id and returns
// the new count.
func (w writer) addRef(id string, delta int) error {
	refs := w.tx.Bucket(bucketRefs)
	var n uint64
	if v := refs.Get([]byte(id)); v != nil {
		n, _ = binary.Uvarint(v)
	}
	n = uint64(int64(n) + int64(delta))
	if int64(n) <= 0 {
		return refs.Delete([]byte(id))
	}
	return refs.Put([]byte(id), binary.AppendUvarint(nil, n))
}

// release drops one file's hold on article id and removes the article when
// no file holds it any more.
func (w writer) release(id string) error {
	if err := w.addRef(id, -1); err != nil {
		return err
	}
	if w.tx.Bucket(bucketRefs).Get([]byte(id)) != nil {
		return nil
	}
	return w.remove(id)
}

// remove deletes an article and its index entries.
func (w writer) remove(id string) error {
	a, err := w.article(id)
	if err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketArticles).Delete([]byte(id)); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketByDate).Delete(dateKey(a)); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketByHash).Delete([]byte(a.Hash)); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketRefs).Delete([]byte(id)); err != nil {
		return err
	}
	return w.logChange(opDelete, id)
}

// Operations recorded in the change log.
const (
	opPut    byte = 'p'
	opDelete byte = 'd'
)

func (w writer) logChange(op byte, id string) error {
	b := w.tx.Bucket(bucketChanges)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(u64(seq), append([]byte{op}, id...))
}

// dateKey is the by_date key of a: the first day its date covers as
// YYYYMMDD ("00000000" when unknown), the precision, then the ID. Keys sort
// by date, so a date range is one cursor scan.
func dateKey(a corpus.Article) []byte {
	k := make([]byte, 0, 9+len(a.ID))
	if first, _, ok := a.Date.Span(); ok {
		k = first.AppendFormat(k, "20060102")
	} else {
		k = append(k, "00000000"...)
	}
	k = append(k, byte('0'+a.Date.Precision))
	return append(k, a.ID...)
}
