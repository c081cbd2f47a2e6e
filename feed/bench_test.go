package feed

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// BenchmarkPoll200Feeds polls 200 feeds of 50 items each, served on
// loopback: "first" into an empty database (every item parsed and
// stored), "not-modified" when every feed answers 304. It reports CPU
// time per poll of all 200 (the loopback server's share included: it runs
// in this process) and the peak live heap.
//
//	go test ./feed -run '^$' -bench Poll200Feeds -benchtime 5x
func BenchmarkPoll200Feeds(b *testing.B) {
	const feeds, items = 200, 50
	srv := newFeedServer(b)
	sources := make([]Source, feeds)
	for i := range sources {
		name := fmt.Sprintf("feed%03d", i)
		srv.set(name+".xml", benchFeed(i, items))
		sources[i] = Source{Name: name, URL: srv.URL + "/f/" + name + ".xml"}
	}
	open := func(b *testing.B) (*Poller, func()) {
		dir := b.TempDir()
		db, err := store.Open(filepath.Join(dir, "digestbot.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		// One host, as on loopback every feed is: no pause between
		// requests, which a real set of feeds on many hosts would not
		// wait for either.
		p := &Poller{Store: db, Clock: SystemClock{}, Fetcher: NewFetcher(FetchOptions{UserAgent: "digestbot/bench", HostGap: -1})}
		return p, func() { db.Close() }
	}
	check := func(b *testing.B, reps []Report, want string) {
		for _, r := range reps {
			switch {
			case r.Err != nil:
				b.Fatal(r.Err)
			case want == Added && r.Count(Added) != items:
				b.Fatalf("%s: %d added, want %d", r.Feed, r.Count(Added), items)
			case want == OutcomeNotModified && !r.NotModified:
				b.Fatalf("%s: not a 304", r.Feed)
			}
		}
	}
	b.Run("first", func(b *testing.B) {
		var peak peakHeap
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			p, done := open(b)
			runtime.GC()
			stop := peak.watch()
			c0, _ := testenv.CPUTime()
			b.StartTimer()
			reps := PollAll(context.Background(), p, sources, 4)
			b.StopTimer()
			c1, _ := testenv.CPUTime()
			stop()
			cpu += c1 - c0
			check(b, reps, Added)
			done()
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(peak.max.Load())/(1<<20), "peak-heap-MiB")
	})
	b.Run("not-modified", func(b *testing.B) {
		p, done := open(b)
		defer done()
		check(b, PollAll(context.Background(), p, sources, 4), Added)
		var peak peakHeap
		var cpu time.Duration
		runtime.GC()
		b.ResetTimer()
		for b.Loop() {
			stop := peak.watch()
			c0, _ := testenv.CPUTime()
			reps := PollAll(context.Background(), p, sources, 4)
			c1, _ := testenv.CPUTime()
			stop()
			cpu += c1 - c0
			check(b, reps, OutcomeNotModified)
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(peak.max.Load())/(1<<20), "peak-heap-MiB")
	})
}

// peakHeap samples the live heap every millisecond while watched.
type peakHeap struct{ max atomic.Uint64 }

func (p *peakHeap) watch() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > p.max.Load() {
				p.max.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// benchFeed is an RSS document of n items shaped like a WordPress feed.
func benchFeed(feed, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Feed %d</title><link>https://feed%d.example/</link><description>d</description>`, feed, feed)
	for i := range n {
		day := time.Date(2023, 7, 1, 8, 0, 0, 0, time.UTC).Add(-time.Duration(i) * 6 * time.Hour)
		fmt.Fprintf(&b, `<item><title>Story %d of feed %d: the harbour ferry timetable changes again</title><link>/%d/story-%d/</link><guid isPermaLink="false">https://feed%d.example/?p=%d</guid><pubDate>%s</pubDate><description><![CDATA[Story %d of feed %d in brief. [&#8230;]]]></description><content:encoded><![CDATA[`,
			i, feed, day.Year(), i, feed, i, day.Format(time.RFC1123Z), i, feed)
		for p := range 4 {
			fmt.Fprintf(&b, "<p>Paragraph %d of story %d in feed %d. The ferry operator said on Monday that the timetable would change again from the first of the month, with two extra sailings on weekdays and one fewer on Sundays; passengers&#8217; groups said they had not been asked.</p>\n", p, i, feed)
		}
		b.WriteString("]]></content:encoded></item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}
