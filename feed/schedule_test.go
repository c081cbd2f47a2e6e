package feed

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSchedulerKeepsFeedsFresh: the scheduler polls on the interval and
// picks a new item up once.
func TestSchedulerKeepsFeedsFresh(t *testing.T) {
	srv := newFeedServer(t)
	p, _, _ := testPoller(t)
	p.Clock = SystemClock{}
	src := Source{Name: "coastal", URL: srv.fixture(t, "wordpress.xml"), Every: 30 * time.Millisecond}
	reports := make(chan Report, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- (&Scheduler{Poller: p, Sources: []Source{src}, OnPoll: func(r Report) { reports <- r }}).Run(ctx)
	}()
	next := func() Report {
		select {
		case r := <-reports:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no poll")
			return Report{}
		}
	}
	if r := next(); r.Err != nil || r.Count(Added) != 2 {
		t.Fatalf("first poll %+v", r)
	}
	if r := next(); !r.NotModified {
		t.Fatalf("second poll %+v", r)
	}
	data := strings.Replace(string(mustRead(t, "testdata/wordpress.xml")), "<item>", `<item><title>New</title><guid>n1</guid><description>A new story.</description></item><item>`, 1)
	srv.set("wordpress.xml", []byte(data))
	added := 0
	for added == 0 {
		r := next()
		added += r.Count(Added)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if r := next(); !r.NotModified || added != 1 {
		t.Errorf("after the new item: %d added, then %+v", added, r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFirstDue(t *testing.T) {
	now := time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)
	src := Source{Name: "a", URL: "https://a.example/rss", Every: 15 * time.Minute}
	for _, c := range []struct {
		name string
		st   State
		want time.Time
	}{
		{"never polled", State{}, now},
		{"url changed", State{URL: "https://old.example/rss", LastPoll: now, NextPoll: now.Add(time.Hour)}, now},
		{"due later", State{URL: src.URL, LastPoll: now.Add(-5 * time.Minute), NextPoll: now.Add(10 * time.Minute)}, now.Add(10 * time.Minute)},
		{"interval shortened", State{URL: src.URL, LastPoll: now.Add(-5 * time.Minute), NextPoll: now.Add(55 * time.Minute)}, now.Add(10 * time.Minute)},
		{"backing off", State{URL: src.URL, LastPoll: now.Add(-5 * time.Minute), NextPoll: now.Add(3 * time.Hour), Failures: 4}, now.Add(3 * time.Hour)},
		{"overdue", State{URL: src.URL, LastPoll: now.Add(-time.Hour), NextPoll: now.Add(-45 * time.Minute)}, now.Add(-45 * time.Minute)},
	} {
		if got := firstDue(c.st, src, now); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
