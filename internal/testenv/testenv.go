// Package testenv holds the fixtures tests across digestbot share: a fresh
// database, the sample corpus as articles or loaded into a database, and
// files (configurations) written into a test's folder. (A fake Discord is
// internal/fakediscord's StartT.) Only tests import it.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/store"
)

// OpenDB opens a new database in a temporary folder (without fsync, for
// speed), closed when the test ends; a failing close fails the test.
func OpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "test.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close the test database: %v", err)
		}
	})
	return db
}

// SampleArticles parses the embedded sample corpus, in file order.
func SampleArticles(tb testing.TB) []corpus.Article {
	tb.Helper()
	var out []corpus.Article
	for _, f := range corpus.Sample() {
		data, err := f.Read(0)
		if err != nil {
			tb.Fatal(err)
		}
		a, err := corpus.Parse(f.Name, data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		tb.Fatal("no sample articles")
	}
	return out
}

// SampleDB is a new database holding the sample corpus and the files of
// the extra folders, loaded as `digestbot ingest` loads them; a file
// rejected fails the test.
func SampleDB(tb testing.TB, extraFolders ...string) *store.DB {
	tb.Helper()
	db := OpenDB(tb)
	files := corpus.Sample()
	if len(extraFolders) > 0 {
		extra, errs := corpus.Collect(extraFolders)
		if len(errs) > 0 {
			tb.Fatal(errs)
		}
		files = append(files, extra...)
	}
	sum, err := ingest.Run(context.Background(), db, files, ingest.Options{}, func(r ingest.Result) {
		if r.Status == ingest.Rejected {
			tb.Errorf("%s rejected: %s", r.File.Path, r.Reason)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	if sum[store.Added] != len(files) {
		tb.Fatalf("loaded %v, want %d added", sum, len(files))
	}
	return db
}

// PutArticles stores parsed articles directly, each as the file
// "test:SOURCE".
func PutArticles(tb testing.TB, db *store.DB, arts ...corpus.Article) {
	tb.Helper()
	var files []store.File
	for _, a := range arts {
		files = append(files, store.File{Path: "test:" + a.Source, RawHash: a.Hash, Article: a})
	}
	if _, err := db.Put(context.Background(), files); err != nil {
		tb.Fatal(err)
	}
}

// WriteFile writes content to path (a configuration, an article file),
// making its folder.
func WriteFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// WriteConfig writes a configuration file into a new temporary folder and
// returns its path.
func WriteConfig(tb testing.TB, yaml string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "digestbot.yaml")
	WriteFile(tb, path, yaml)
	return path
}
