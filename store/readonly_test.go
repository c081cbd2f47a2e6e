package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "d.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	opts := store.Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond}
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.ReadOnly() {
		t.Fatal("database not open read-only")
	}
	// Another reader may open it at the same time; a writer may not.
	other, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, store.Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("writer while a reader holds the file: %v, want ErrLocked", err)
	}
	if n, err := db.Count(ctx); err != nil || n != 39 {
		t.Fatalf("count: %d, %v", n, err)
	}
	useEveryWay(db)
	if err := db.PutValue(ctx, "k", []byte("v"), time.Now()); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("write: %v, want ErrReadOnly", err)
	}
	if _, err := db.PutFeedItems(ctx, "f", nil, func([]store.Outcome) ([]byte, error) { return nil, nil }); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("feed write: %v, want ErrReadOnly", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a read-only open changed the file")
	}
}

// A file that does not exist yet is created, open for writing.
func TestReadOnlyCreates(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "new.db"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.ReadOnly() {
		t.Error("a new database is open read-only")
	}
	if err := db.PutValue(context.Background(), "k", []byte("v"), time.Now()); err != nil {
		t.Error(err)
	}
}
