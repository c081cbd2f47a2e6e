package digest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// Benchmarks (not run by go test without -bench):
//
//	go test ./digest -run '^$' -bench Summarize -benchmem
//	go test ./digest -run '^$' -bench Digest50 -benchtime 20x
//
// They use this package's test analyzer; cmd/digestbot has the same
// summary benchmark with search.Terms, the analyzer digestbot runs with.

// thousandWords returns a synthetic article of 1,000 words (±2%).
func thousandWords(tb testing.TB) corpus.Article {
	g := synth.New(3, 30000)
	for i := 0; ; i++ {
		a, err := corpus.Parse("synth.txt", []byte(g.Article(i)))
		if err != nil {
			tb.Fatal(err)
		}
		if a.Words >= 980 && a.Words <= 1020 {
			return a
		}
	}
}

// BenchmarkSummarize summarises a 1,000-word article: splitting, analysis,
// the LexRank graph and MMR, with IDF from a corpus. "english" is the
// 1,006-word sample article (real prose), "synthetic" a generated one.
func BenchmarkSummarize(b *testing.B) {
	arts := testenv.SampleArticles(b)
	stats := statsOf(arts)
	s := testSummarizer(b)
	for _, c := range []struct {
		name string
		a    corpus.Article
	}{{"english", arts[1]}, {"synthetic", thousandWords(b)}} {
		b.Run(fmt.Sprintf("%s-%dwords", c.name, c.a.Words), func(b *testing.B) {
			cpu0, ok := testenv.CPUTime()
			for b.Loop() {
				if sum := s.Summarize(c.a, stats, Options{}); len(sum.Sentences) == 0 {
					b.Fatal("empty summary")
				}
			}
			reportCPU(b, cpu0, ok)
		})
	}
}

// bigStore builds a database of 50,000 synthetic articles in dir.
func bigStore(dir string) (*store.DB, error) {
	db, err := store.Open(filepath.Join(dir, "big.db"), store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	g := synth.New(1, 30000)
	const n, batch = 50000, 1000
	for start := 0; start < n; start += batch {
		files := make([]store.File, 0, batch)
		for i := start; i < start+batch; i++ {
			name := fmt.Sprintf("a%06d.txt", i)
			a, err := corpus.Parse(name, []byte(g.Article(i)))
			if err != nil {
				return nil, err
			}
			files = append(files, store.File{Path: "synth:" + name, RawHash: a.Hash, Article: a})
		}
		if _, err := db.Put(ctx, files); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// BenchmarkDigest50From50k builds (and renders) a 50-story "new" digest
// from a store of 50,000 articles: the 50 stored since the channel's last
// digest. "cached": their summaries were made before (the scheduler's case
// after a preview, and the summary cache's steady state); "uncached": every
// summary is made in the run (a new summary option each time); "ahead":
// before each digest 50 more articles are stored and the background
// worker's work is done for them (term counts, summaries: Backlog,
// CacheAhead, MarkAhead, not timed), as for a scheduled digest.
func BenchmarkDigest50From50k(b *testing.B) {
	t0 := time.Now()
	db, err := bigStore(b.TempDir()) // the sub-benchmarks share it: this function runs once
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	svc, err := New(db, testAnalyze)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Stats(ctx); err != nil { // term counts of 50,000 articles, once
		b.Fatal(err)
	}
	last, _ := db.LastSeq(ctx)
	if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "bench", Slot: "0", Channel: "1", State: store.RunDone, Seq: last - 50}); err != nil {
		b.Fatal(err)
	}
	b.Logf("store of 50,000 articles and its term counts ready in %s", time.Since(t0).Round(time.Millisecond))
	at := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	check := func(b *testing.B, d Digest) {
		if len(d.Items) != 50 || d.More != 0 {
			b.Fatalf("%d stories, %d more", len(d.Items), d.More)
		}
		if len(Render(d)) == 0 {
			b.Fatal("nothing rendered")
		}
	}
	b.Run("cached", func(b *testing.B) {
		spec := Spec{Channel: "1", MaxArticles: 50}
		d, err := svc.Build(ctx, spec, at) // make and cache the summaries
		if err != nil {
			b.Fatal(err)
		}
		check(b, d)
		cpu0, ok := testenv.CPUTime()
		for b.Loop() {
			d, err := svc.Build(ctx, spec, at)
			if err != nil {
				b.Fatal(err)
			}
			check(b, d)
		}
		reportCPU(b, cpu0, ok)
	})
	b.Run("uncached", func(b *testing.B) {
		i := 0
		cpu0, ok := testenv.CPUTime()
		for b.Loop() {
			i++
			spec := Spec{Channel: "1", MaxArticles: 50, Summary: Options{MaxChars: 700 + i%2000}}
			d, err := svc.Build(ctx, spec, at)
			if err != nil {
				b.Fatal(err)
			}
			check(b, d)
		}
		reportCPU(b, cpu0, ok)
	})
	b.Run("ahead", func(b *testing.B) {
		spec := Spec{Channel: "1", MaxArticles: 50}
		g := synth.New(2, 30000)
		i := 0
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			i++
			aheadOf50(b, db, svc, g, i, spec.Summary)
			cpu0, ok := testenv.CPUTime()
			b.StartTimer()
			d, err := svc.Build(ctx, spec, at)
			if err != nil {
				b.Fatal(err)
			}
			check(b, d)
			if cpu1, ok1 := testenv.CPUTime(); ok && ok1 {
				cpu += cpu1 - cpu0
			}
		}
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	})
}

// aheadOf50 stores 50 new articles, makes them the next "new" digest of
// channel 1 and does the background worker's work for them.
func aheadOf50(b *testing.B, db *store.DB, svc *Service, g *synth.Generator, round int, opts Options) {
	ctx := context.Background()
	files := make([]store.File, 50)
	for k := range files {
		name := fmt.Sprintf("ahead%04d-%02d.txt", round, k)
		a, err := corpus.Parse(name, []byte(g.Article(round*50+k)))
		if err != nil {
			b.Fatal(err)
		}
		files[k] = store.File{Path: "synth:" + name, RawHash: a.Hash, Article: a}
	}
	if _, err := db.Put(ctx, files); err != nil {
		b.Fatal(err)
	}
	last, _ := db.LastSeq(ctx)
	if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "bench", Slot: fmt.Sprint(round), Channel: "1", State: store.RunDone, Seq: last - 50}); err != nil {
		b.Fatal(err)
	}
	bl, err := svc.Backlog(ctx, opts, 1000)
	if err == nil {
		_, err = svc.CacheAhead(ctx, bl.IDs, opts)
	}
	if err == nil {
		err = svc.MarkAhead(ctx, opts, bl.Upto)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// reportCPU reports the process's CPU time per operation since cpu0: with
// one goroutine, what the wall time would be on an idle machine, plus
// garbage collection; a digest spreads its summaries over the CPUs, so
// its wall time on an idle machine is less.
func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	if cpu1, ok1 := testenv.CPUTime(); ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
