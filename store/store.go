// Package store keeps digestbot's articles, their indexes and the bot's state
// in one bbolt file.
//
// Layout (schema version 4):
//
//	meta      "schema" → uint32 schema version
//	articles  id → article (binary codec, see codec.go; schema 3 added
//	          the source URL and the title's source, schema 4 bodies
//	          compressed with zstd, so an older build must not read the file)
//	by_date   YYYYMMDD of the date's first day + precision byte + id → empty
//	by_hash   content hash → id
//	files     file path → raw-bytes hash, size and article id
//	refs      id → number of files holding that article (uvarint)
//	changes   sequence (uint64 BE) → op byte + id: every stored change, in order
//
// Every change is made in one bbolt write transaction (a method that first
// looks, such as UpdateTermCounts, reads again inside the write), so a kill
// at any moment leaves the file as it was before or after that change,
// never in between. Reads see one consistent state each.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/internal/apperr"
)

// SchemaVersion is the layout this build reads and writes.
const SchemaVersion = 4

// Errors callers can test for with errors.Is. The first three carry an
// apperr code, so callers outside the store can tell them apart without
// importing it.
var (
	ErrNotFound      = &apperr.Error{Code: apperr.NotFound, Message: "not found"}
	ErrAmbiguous     = &apperr.Error{Code: apperr.Ambiguous, Message: "ambiguous ID prefix"}
	ErrTooShort      = &apperr.Error{Code: apperr.TooShort, Message: fmt.Sprintf("ID prefix shorter than %d characters", MinPrefix)}
	ErrLocked        = errors.New("database is locked by another process")
	ErrSchemaNewer   = errors.New("database was written by a newer digestbot")
	ErrSchemaUnknown = errors.New("file is not a digestbot database")
	ErrReadOnly      = errors.New("database is open for reading only")
)

var (
	bucketMeta     = []byte("meta")
	bucketArticles = []byte("articles")
	bucketByDate   = []byte("by_date")
	bucketByHash   = []byte("by_hash")
	bucketFiles    = []byte("files")
	bucketRefs     = []byte("refs")
	bucketChanges  = []byte("changes")

	keySchema = []byte("schema")
)

// Options tune Open. The zero value is what digestbot uses.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before failing with ErrLocked. Default one second.
	LockTimeout time.Duration
	// NoSync skips fsync after each commit. Only for tests and benchmarks:
	// a crash may then lose recent writes.
	NoSync bool
	// FullCheck makes Open read every page in use even when the file is
	// unchanged since that last found it sound (digestbot check-db).
	FullCheck bool
	// Now is the clock that tells whether the file changed too recently
	// for its fingerprint to be recorded. Default time.Now.
	Now func() time.Time
	// ReadOnly opens an existing, current database for reading only, with
	// a shared lock: other readers may open it at the same time, and
	// nothing is written to it (bbolt also skips reading its free page
	// list). The methods that write fail with ErrReadOnly. A file that
	// does not exist yet, or whose layout must be migrated, is opened for
	// writing as without it; DB.ReadOnly tells which.
	ReadOnly bool
}

// DB is an open digestbot database. It is safe for concurrent use.
type DB struct {
	path string
	bolt *bolt.DB
	// walked is set when Open read every page of the file (the fast path
	// was not taken).
	walked bool
	// readOnly is set when the file is open for reading only.
	readOnly bool
}

// Open opens the database at path, creating it only when no file is
// there, checks its schema version and migrates an older layout. An
// existing file is checked before use: an empty or damaged one gives a
// *DamageError (errors.Is ErrDamaged) saying what is wrong and what to do,
// and is left exactly as it was. Every page of the file is read, unless it
// is provably unchanged since that last found it sound: Open records a
// fingerprint of the file for that beside it (FILE.checked).
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, created, err := openFile(path, opts.LockTimeout, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	var walked bool
	if created {
		opts.ReadOnly = false
	} else if walked, err = checkFile(f, path, opts); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	b, err := openBolt(path, f, opts)
	if err != nil {
		if created {
			os.Remove(path)
		}
		return nil, err
	}
	db := &DB{path: path, bolt: b, walked: walked, readOnly: opts.ReadOnly}
	err = db.prepare()
	if errors.Is(err, errNeedsWrite) {
		// An older layout: open it for writing, to migrate it.
		if err := b.Close(); err != nil {
			return nil, fmt.Errorf("open database %s: %w", quoteName(path), err)
		}
		opts.ReadOnly = false
		return Open(path, opts)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", quoteName(path), err), b.Close())
	}
	return db, nil
}

// ReadOnly says whether the database is open for reading only.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Path returns the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// errNeedsWrite is prepare's answer, on a file open for reading only, when
// the file must be initialised or migrated.
var errNeedsWrite = errors.New("the database must be opened for writing")

// prepare initialises a new file, or checks and migrates an existing one.
// Opening a current database writes nothing.
func (db *DB) prepare() error {
	var current bool
	err := guard(db.path, func() error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketMeta) == nil {
				return nil
			}
			raw := tx.Bucket(bucketMeta).Get(keySchema)
			current = len(raw) == 4 && binary.BigEndian.Uint32(raw) == SchemaVersion
			return nil
		})
	})
	if err != nil || current {
		return err
	}
	if db.readOnly {
		return errNeedsWrite
	}
	return guard(db.path, func() error { return db.bolt.Update(prepareTx) })
}

// prepareTx initialises a new file, or checks and migrates an existing
// one.
func prepareTx(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		// A new file has no buckets at all; anything else is not ours.
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return fmt.Errorf("%w: no meta bucket", ErrSchemaUnknown)
		}
		return initSchema(tx)
	}
	raw := meta.Get(keySchema)
	if len(raw) != 4 {
		return fmt.Errorf("%w: schema version missing", ErrSchemaUnknown)
	}
	version := binary.BigEndian.Uint32(raw)
	switch {
	case version == SchemaVersion:
		return nil
	case version > SchemaVersion:
		return fmt.Errorf("%w: schema version %d, this build reads up to %d; upgrade digestbot", ErrSchemaNewer, version, SchemaVersion)
	case version == 0:
		return fmt.Errorf("%w: schema version 0", ErrSchemaUnknown)
	}
	return migrate(tx, int(version))
}

func initSchema(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketArticles, bucketByDate, bucketByHash, bucketFiles, bucketRefs, bucketChanges} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return setSchema(tx, SchemaVersion)
}

func setSchema(tx *bolt.Tx, v uint32) error {
	return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, v))
}

// migrate upgrades the layout from version `from` to SchemaVersion inside
// the opening transaction, so a kill mid-migration leaves the old layout.
func migrate(tx *bolt.Tx, from int) error {
	steps := map[int]func(*bolt.Tx) error{
		// Version 1 had no refs bucket: an article shared by duplicate files
		// was deleted when any one of them changed. Count the files per
		// article.
		1: func(tx *bolt.Tx) error {
			refs, err := tx.CreateBucketIfNotExists(bucketRefs)
			if err != nil {
				return err
			}
			counts := map[string]uint64{}
			err = tx.Bucket(bucketFiles).ForEach(func(_, v []byte) error {
				r, err := decodeFile(v)
				if err != nil {
					return err
				}
				counts[r.ArticleID]++
				return nil
			})
			if err != nil {
				return err
			}
			for id, n := range counts {
				if err := refs.Put([]byte(id), binary.AppendUvarint(nil, n)); err != nil {
					return err
				}
			}
			return nil
		},
		// Version 3 articles may carry a source URL and say where their
		// title came from (article codec 2). Values of codec 1 are still
		// read as they are, with no URL; the version keeps older builds,
		// which cannot read codec 2, from opening the file. The files'
		// recorded raw hashes and times are forgotten so that the next
		// ingest reads every file again: articles stored before had no URL
		// even when their file names one, and HTML, Markdown and email
		// files were read as plain text. A file whose article comes out the
		// same is reported unchanged.
		2: forgetRawHashes,
		// Version 4 articles may have their body compressed (article codec
		// 3). Older values are read as they are; the version keeps older
		// builds, which cannot read codec 3, from opening the file.
		3: func(*bolt.Tx) error { return nil },
	}
	for v := from; v < SchemaVersion; v++ {
		step, ok := steps[v]
		if !ok {
			return fmt.Errorf("%w: no migration from schema version %d", ErrSchemaUnknown, v)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return setSchema(tx, SchemaVersion)
}

// forgetRawHashes clears the raw hash and modification time of every file
// record, keeping its size and article, so the next ingest re-reads it.
func forgetRawHashes(tx *bolt.Tx) error {
	files := tx.Bucket(bucketFiles)
	updated := map[string][]byte{}
	err := files.ForEach(func(k, v []byte) error {
		r, err := decodeFile(v)
		if err != nil {
			return err
		}
		r.RawHash, r.ModTime = "", 0
		updated[string(k)] = encodeFile(r)
		return nil
	})
	if err != nil {
		return err
	}
	for k, v := range updated {
		if err := files.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// view runs fn in a read transaction unless ctx is already done.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return guard(db.path, func() error { return db.bolt.View(fn) })
}

// update runs fn in a write transaction unless ctx is already done.
func (db *DB) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.readOnly {
		return fmt.Errorf("write to database %s: %w", quoteName(db.path), ErrReadOnly)
	}
	return guard(db.path, func() error { return db.bolt.Update(fn) })
}
