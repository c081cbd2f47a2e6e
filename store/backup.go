package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// ErrLiveFile is a backup aimed at the database file itself.
var ErrLiveFile = errors.New("that is the database file itself; name another file")

// WriteTo writes a consistent copy of the database to w: a snapshot as of
// one read transaction, while writers carry on. sized, when set, is told
// the copy's length before any of it is written. It returns the bytes
// written.
func (db *DB) WriteTo(ctx context.Context, w io.Writer, sized func(int64)) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if sized != nil {
			sized(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy database %s: %w", quoteName(db.path), err)
	}
	return n, nil
}

// Backup writes a consistent copy of the database to path (see SaveCopy).
func (db *DB) Backup(ctx context.Context, path string) (int64, error) {
	return SaveCopy(path, db.path, func(w io.Writer) (int64, error) {
		return db.WriteTo(ctx, w, nil)
	})
}

// SaveCopy saves the database copy that write produces as path. It is
// written to a new temporary file beside path (never over any existing
// file), synced, checked to be a sound database file, and only then
// renamed into place: path is never left half-written, and a copy cut
// short is not kept. SaveCopy refuses a path that is the database file
// live (by name or as a link to it): replacing a file a running bot holds
// open would lose everything stored after.
func SaveCopy(path, live string, write func(io.Writer) (int64, error)) (int64, error) {
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("back up database to %s: %w", quoteName(path), err)
	}
	if err := notLive(path, live); err != nil {
		return fail(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkCopy(tmp.Name(), n)
	}
	if err == nil {
		err = notLive(path, live) // the name may have been pointed at it meanwhile
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fail(err)
	}
	return n, nil
}

// IsFile reports whether path names the database file live, by name or
// as a link to it.
func IsFile(path, live string) bool { return notLive(path, live) != nil }

// notLive refuses a path naming the database file live.
func notLive(path, live string) error {
	a, aerr := filepath.Abs(path)
	b, berr := filepath.Abs(live)
	if aerr == nil && berr == nil && a == b {
		return ErrLiveFile
	}
	pi, err := os.Stat(path)
	if err != nil {
		return nil // nothing there (or unreadable: the rename will say)
	}
	if li, err := os.Stat(live); err == nil && os.SameFile(pi, li) {
		return ErrLiveFile
	}
	return nil
}

// checkCopy checks that the copy at path of n bytes is a sound database
// file.
func checkCopy(path string, n int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() != n {
		return fmt.Errorf("the copy holds %d bytes, not the %d written", info.Size(), n)
	}
	if err := validateFile(f, n, path); err != nil {
		return fmt.Errorf("the copy is not sound: %w", err)
	}
	return nil
}
