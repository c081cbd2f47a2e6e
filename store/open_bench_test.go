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
// structure check reads every page in use once (a file changed a moment
// ago, so its fingerprint is not recorded). BenchmarkOpenUnchanged opens
// the same file once it has settled: the fingerprint beside it matches
// and the walk is skipped; BenchmarkOpenReadOnly also opens it read-only,
// as the one-shot commands do.
func BenchmarkOpen(b *testing.B) {
	benchmarkOpen(b, store.Options{Now: time.Now})
}

func BenchmarkOpenUnchanged(b *testing.B) {
	benchmarkOpen(b, store.Options{Now: later})
}

func BenchmarkOpenReadOnly(b *testing.B) {
	benchmarkOpen(b, store.Options{Now: later, ReadOnly: true})
}

func benchmarkOpen(b *testing.B, opts store.Options) {
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
	walks := 0
	b.ResetTimer()
	for b.Loop() {
		db, err := store.Open(path, opts)
		if err != nil {
			b.Fatal(err)
		}
		if store.Walked(db) {
			walks++
		}
		must(b, db.Close())
	}
	b.ReportMetric(float64(walks)/float64(b.N), "walks/op")
}

// later is a clock an hour ahead: a file written by the test a moment
// ago has settled by it, so its fingerprint is recorded.
func later() time.Time { return time.Now().Add(time.Hour) }

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
