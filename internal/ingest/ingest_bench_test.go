package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/store"
)

// writeSynthetic writes n synthetic articles (300–1,200 words, Zipf
// vocabulary, fixed seed) as files in dir.
func writeSynthetic(tb testing.TB, dir string, n int) []corpus.File {
	tb.Helper()
	g := synth.New(1, 30000)
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("%02d", i%50))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("a%05d.txt", i)), []byte(g.Article(i)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	files, errs := corpus.Collect([]string{dir})
	if len(errs) > 0 || len(files) != n {
		tb.Fatalf("collect: %d files, errors %v", len(files), errs)
	}
	return files
}

func ingestAll(tb testing.TB, db *store.DB, files []corpus.File) ingest.Summary {
	sum, err := ingest.Run(context.Background(), db, files, ingest.Options{}, func(ingest.Result) {})
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

// BenchmarkIngest loads 10,000 synthetic articles into a fresh database
// (with fsync per batch, as in production), then re-loads them unchanged.
//
//	go test ./internal/ingest -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	const n = 10000
	files := writeSynthetic(b, b.TempDir(), n)

	b.Run("first", func(b *testing.B) {
		var ms0, ms1 runtime.MemStats
		var mallocs uint64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			runtime.ReadMemStats(&ms0)
			b.StartTimer()
			sum := ingestAll(b, db, files)
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			mallocs += ms1.Mallocs - ms0.Mallocs
			if sum[store.Added] != n {
				b.Fatalf("added %d of %d: %v", sum[store.Added], n, sum)
			}
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "articles/s")
		b.ReportMetric(float64(mallocs)/float64(n*b.N), "allocs/article")
	})

	b.Run("unchanged", func(b *testing.B) {
		db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		ingestAll(b, db, files)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if sum := ingestAll(b, db, files); sum[store.Unchanged] != n {
				b.Fatalf("unchanged %d of %d: %v", sum[store.Unchanged], n, sum)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "articles/s")
		b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n*b.N), "allocs/article")
	})
}
