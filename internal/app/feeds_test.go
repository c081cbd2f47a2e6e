package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/feed"
)

func names(srcs []feed.Source) string {
	var out []string
	for _, s := range srcs {
		out = append(out, s.Name)
	}
	return strings.Join(out, ",")
}

// TestFeedsRunRestarts: a reload and a change of this replica's share each
// restart polling with the current feeds; the end of ctx stops it.
func TestFeedsRunRestarts(t *testing.T) {
	f := NewFeeds(nil, []feed.Source{{Name: "a"}})
	var nilFeeds *Feeds
	nilFeeds.Reload([]feed.Source{{Name: "x"}}) // no runner: nothing happens
	if nilFeeds.Sources() != nil {
		t.Error("a nil runner has sources")
	}

	seen := make(chan string)
	changed := make(chan struct{})
	share := func(all []feed.Source) ([]feed.Source, <-chan struct{}) {
		seen <- names(all)
		return nil, changed // polls nothing: this replica owns no feed
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx, share, nil, slog.New(slog.DiscardHandler)) }()
	if got := <-seen; got != "a" {
		t.Fatalf("first share of %q", got)
	}
	select {
	case <-f.Ready():
	default:
		t.Error("not ready while running")
	}
	f.Reload([]feed.Source{{Name: "b"}})
	if got := <-seen; got != "b" {
		t.Fatalf("after a reload: share of %q", got)
	}
	if got := names(f.Sources()); got != "b" {
		t.Errorf("sources after the reload: %q", got)
	}
	changed <- struct{}{}
	if got := <-seen; got != "b" {
		t.Fatalf("after a change of share: %q", got)
	}
	cancel()
	<-done
}

func TestFeedsReloadKeepsTheLatest(t *testing.T) {
	f := NewFeeds(nil, nil)
	f.Reload([]feed.Source{{Name: "old"}})
	f.Reload([]feed.Source{{Name: "new"}}) // replaces the one not yet taken
	if got := names(<-f.next); got != "new" {
		t.Errorf("taken %q, want new", got)
	}
}

func TestLoaded(t *testing.T) {
	stored := feed.Report{Feed: "river", Items: []feed.ItemResult{{Status: feed.Added}, {Status: feed.Updated}, {Status: "unchanged"}}}
	same := feed.Report{Feed: "coast", Items: []feed.ItemResult{{Status: "unchanged"}}}
	for _, c := range []struct {
		name     string
		reports  []feed.Report
		catchUp  error
		catchUps int
		logged   []string
	}{
		{"nothing stored", []feed.Report{same}, nil, 0, nil},
		{"one catch-up for many polls", []feed.Report{stored, same, stored}, nil, 1, []string{`feed=river added=1 updated=1`}},
		{"a failed catch-up is logged", []feed.Report{stored}, errors.New("index closed"), 1, []string{"search index catch-up after a feed poll", "index closed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			n := 0
			Loaded(context.Background(), func(context.Context) error { n++; return c.catchUp },
				slog.New(slog.NewTextHandler(&logs, nil)), c.reports...)
			if n != c.catchUps {
				t.Errorf("%d catch-ups, want %d", n, c.catchUps)
			}
			for _, want := range c.logged {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
			}
			if c.logged == nil && logs.Len() > 0 {
				t.Errorf("logged:\n%s", logs.String())
			}
		})
	}
}
