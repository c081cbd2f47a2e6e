package app

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/digestbot/digestbot/feed"
)

// Feeds holds the feeds the running bot polls and polls them on their
// intervals; a reload replaces them.
type Feeds struct {
	current atomic.Pointer[[]feed.Source]
	next    chan []feed.Source
	// poller polls for the scheduler and for fetch requests alike, so
	// they share its one-request-per-host rule.
	poller *feed.Poller
	// ready is closed once Run has set poller up for good (in a cluster,
	// publishing); fetch requests wait for it.
	ready chan struct{}
}

// NewFeeds returns the runner of sources, polled by p.
func NewFeeds(p *feed.Poller, sources []feed.Source) *Feeds {
	f := &Feeds{next: make(chan []feed.Source, 1), poller: p, ready: make(chan struct{})}
	f.current.Store(&sources)
	return f
}

// Sources are the configured feeds.
func (f *Feeds) Sources() []feed.Source {
	if f == nil {
		return nil
	}
	if p := f.current.Load(); p != nil {
		return *p
	}
	return nil
}

// Poller is the poller the feeds are polled with.
func (f *Feeds) Poller() *feed.Poller { return f.poller }

// Ready is closed once the poller is set up for good.
func (f *Feeds) Ready() <-chan struct{} { return f.ready }

// Reload hands Run a reloaded configuration's feeds, replacing any not
// yet taken. It does nothing on a nil *Feeds (no feeds runner).
func (f *Feeds) Reload(sources []feed.Source) {
	if f == nil {
		return
	}
	for {
		select {
		case f.next <- sources:
			return
		default:
		}
		select {
		case <-f.next:
		default:
		}
	}
}

// FeedShare picks, among all the configured feeds, those this replica
// polls, and returns a channel that is readable when that share changes
// (nil when it never does).
type FeedShare func(all []feed.Source) (mine []feed.Source, changed <-chan struct{})

// Run polls the feeds share gives this replica (every feed when share is
// nil), calling onPoll after each poll, until ctx ends. A reload, or a
// change of the share, restarts polling with the new feeds (each polled
// when its stored state says).
func (f *Feeds) Run(ctx context.Context, share FeedShare, onPoll func(feed.Report), log *slog.Logger) {
	if share == nil {
		share = func(all []feed.Source) ([]feed.Source, <-chan struct{}) { return all, nil }
	}
	close(f.ready)
	for {
		sources, changed := share(f.Sources())
		if len(sources) > 0 {
			log.Info("polling feeds", "feeds", len(sources))
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sched := &feed.Scheduler{Poller: f.poller, Sources: sources, OnPoll: onPoll}
			if err := sched.Run(runCtx); err != nil && runCtx.Err() == nil {
				log.Error("feed polling stopped", "error", err)
			}
		}()
		select {
		case <-ctx.Done():
			stop()
			<-done
			return
		case next := <-f.next:
			stop()
			<-done
			f.current.Store(&next)
		case <-changed: // this replica's share of the feeds changed
			stop()
			<-done
		}
	}
}

// Loaded brings the search index up to date (catchUp) after polls that
// stored something, once for them all, and logs them.
func Loaded(ctx context.Context, catchUp func(context.Context) error, log *slog.Logger, reports ...feed.Report) {
	caughtUp := false
	for _, r := range reports {
		if r.Count(feed.Added)+r.Count(feed.Updated) == 0 {
			continue
		}
		if !caughtUp {
			if err := catchUp(ctx); err != nil && ctx.Err() == nil {
				log.Warn("search index catch-up after a feed poll", "error", err)
			}
			caughtUp = true
		}
		log.Info("feed loaded new articles", "feed", r.Feed, "added", r.Count(feed.Added), "updated", r.Count(feed.Updated))
	}
}
