package main

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/app"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// BenchmarkInteractions sends 500 /search interactions to the bot through
// the fake Discord and reports the time from dispatch to callback: one at a
// time (each sent when the previous is answered), and all 500 at once.
//
//	go test ./cmd/digestbot -run '^$' -bench Interactions -benchtime 1x
func BenchmarkInteractions(b *testing.B) {
	const n = 500
	fake := fakediscord.StartT(b, fakediscord.Options{})
	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := ingest.Run(ctx, db, corpus.Sample(), ingest.Options{}, func(ingest.Result) {}); err != nil {
		b.Fatal(err)
	}
	ix, err := search.Open(ctx, filepath.Join(dir, "index"), db, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	bt := bot.New(bot.Deps{Articles: db, State: db, Search: app.Search{Index: ix, Now: time.Now}})
	tr, err := discord.New(bt, discord.Options{Token: "t", APIURL: fake.URL()})
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer tr.Close(ctx)
	queries := []string{"border police", "party history", "grassroots organizations", "Mohe", "Heilongjiang party class", "cadres"}
	interaction := func(i int) fakediscord.Interaction {
		return fakediscord.SlashCommand("search", fakediscord.Str("query", queries[i%len(queries)]))
	}
	latency := func(id string, sent time.Time) time.Duration {
		cb, err := fake.WaitCallback(ctx, id)
		if err != nil || !cb.Accepted() {
			b.Fatalf("interaction %s: %v %+v", id, err, cb.Error)
		}
		return cb.Time.Sub(sent)
	}

	for i := 0; i < b.N; i++ {
		var one, burst []time.Duration
		for j := 0; j < n; j++ {
			t0 := time.Now()
			s, err := fake.Interact(ctx, interaction(j))
			if err != nil {
				b.Fatal(err)
			}
			one = append(one, latency(s.ID, t0))
		}
		type sent struct {
			id string
			at time.Time
		}
		all := make([]sent, n)
		for j := 0; j < n; j++ {
			t0 := time.Now()
			s, err := fake.Interact(ctx, interaction(j))
			if err != nil {
				b.Fatal(err)
			}
			all[j] = sent{s.ID, t0}
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, s := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := latency(s.id, s.at)
				mu.Lock()
				burst = append(burst, d)
				mu.Unlock()
			}()
		}
		wg.Wait()
		report(b, "one-at-a-time", one)
		report(b, "burst", burst)
	}
}

func report(b *testing.B, name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(ds[len(ds)/2]), name+"-median-ms")
	b.ReportMetric(ms(ds[len(ds)*99/100]), name+"-p99-ms")
}
