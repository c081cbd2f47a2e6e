package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/internal/termsafe"
)

var errLockTimeout = errors.New("lock timeout")

// quoteName shows a file name safely in a message.
func quoteName(path string) string { return termsafe.Name(path) }

// openFile opens the database file and locks it: for reading only with a
// shared lock when readOnly is set and the file exists, else for reading
// and writing with an exclusive lock. Only a file that does not exist is
// created (created is then true): an existing file, even an empty one,
// must prove to be a database.
func openFile(path string, timeout time.Duration, readOnly bool) (f *os.File, created bool, err error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err = os.OpenFile(path, flag, 0)
	if errors.Is(err, os.ErrNotExist) {
		readOnly = false
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, false, fmt.Errorf("open database %s: %w", quoteName(path), err)
			}
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		created = err == nil
		if errors.Is(err, os.ErrExist) { // another process created it meanwhile
			f, err = os.OpenFile(path, os.O_RDWR, 0)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("open database %s: %w", quoteName(path), err)
	}
	if err := lockFile(f, timeout, readOnly); err != nil {
		f.Close()
		if errors.Is(err, errLockTimeout) {
			return nil, false, fmt.Errorf("open database %s: %w (waited %s; is digestbot already running?)", quoteName(path), ErrLocked, timeout)
		}
		return nil, false, fmt.Errorf("open database %s: lock: %w", quoteName(path), err)
	}
	return f, created, nil
}

// checkFile validates the structure of the locked, existing file f before
// bbolt is given it: the cheap checks always, the walk of every page in
// use unless the file is unchanged since it last passed one (see
// fingerprint.go). It says whether it walked.
func checkFile(f *os.File, path string, opts Options) (walked bool, err error) {
	info, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("open database %s: %w", quoteName(path), err)
	}
	if !info.Mode().IsRegular() {
		return false, fmt.Errorf("open database %s: %w (not a regular file)", quoteName(path), ErrSchemaUnknown)
	}
	m, err := checkHeader(f, info.Size(), path)
	if err != nil {
		return false, err
	}
	fp, ok := takeFingerprint(f, info, m.pageSize)
	saved, found := loadFingerprint(path)
	unchanged := ok && found && saved == fp
	if unchanged && !opts.FullCheck {
		return false, nil
	}
	if err := walkFile(f, m, path); err != nil {
		return true, err
	}
	if ok && !unchanged && fp.settled(opts.Now()) {
		_ = saveFingerprint(path, fp) // a cache: the next Open walks without it
	}
	return true, nil
}

// openBolt hands the locked, checked file f to bbolt.
func openBolt(path string, f *os.File, opts Options) (b *bolt.DB, err error) {
	err = guard(path, func() error {
		b, err = bolt.Open(path, 0o600, &bolt.Options{
			ReadOnly:     opts.ReadOnly,
			Timeout:      opts.LockTimeout,
			NoSync:       opts.NoSync,
			FreelistType: bolt.FreelistMapType,
			OpenFile:     handOver(path, f),
		})
		return err
	})
	switch {
	case errors.Is(err, ErrDamaged):
		f.Close() // bbolt did not get to close it
		return nil, err
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrVersionMismatch), errors.Is(err, bolt.ErrChecksum):
		return nil, fmt.Errorf("open database %s: %w (%v)", quoteName(path), ErrSchemaUnknown, err)
	case err != nil:
		return nil, fmt.Errorf("open database %s: %w", quoteName(path), err)
	}
	return b, nil
}

// handOver is bbolt's OpenFile: it gives bbolt the file already opened,
// once, for path. bbolt opens files later too (a copy's target): those
// are opened as usual, never handed the database.
func handOver(path string, f *os.File) func(string, int, os.FileMode) (*os.File, error) {
	var handed atomic.Bool
	return func(name string, flag int, mode os.FileMode) (*os.File, error) {
		if name == path && handed.CompareAndSwap(false, true) {
			return f, nil
		}
		return os.OpenFile(name, flag, mode)
	}
}

// guard runs fn, turning a panic or a memory fault inside bbolt (a page
// of a damaged file it trusted) into a *DamageError instead of a crash.
// The transaction fn was in is rolled back by bbolt on the way out.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamageError{Path: path, Problem: fmt.Sprintf("reading it failed (%v)", r), Advice: adviceCheck}
		}
	}()
	return fn()
}
