package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

// BenchmarkOpen opens a database of 5,000 articles of about 5 KB: the
// structure check reads every page in use once.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for batch := range 5 {
		var files []store.File
		for i := range 1000 {
			a := article(fmt.Sprintf("Article %d-%d", batch, i), strings.Repeat(fmt.Sprintf("Body %d %d of words. ", batch, i), 250), day(2023, 1+time.Month(i%12), 1+i%28))
			files = append(files, file(fmt.Sprintf("/c/%d/%d.txt", batch, i), a))
		}
		if _, err := db.Put(context.Background(), files); err != nil {
			b.Fatal(err)
		}
	}
	must(b, db.Close())
	b.ResetTimer()
	for b.Loop() {
		db, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		must(b, db.Close())
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
