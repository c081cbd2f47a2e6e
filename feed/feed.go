// Package feed makes RSS, Atom and JSON Feed sources a source of articles:
// it fetches feeds politely (conditional requests, size and time limits,
// one request at a time per host, back-off on failure), turns their items
// into corpus.Articles (optionally fetching each item's page for its full
// text) and stores them through a small Store interface, remembering per
// feed what it needs for the next poll. A Scheduler polls every feed on its
// own interval.
package feed

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/digestbot/digestbot/store"
)

// Source is one configured feed.
type Source struct {
	// Name identifies the feed; it is the Source of its articles and keys
	// its state.
	Name string
	// URL is the feed's address (http or https). It is trusted: it may
	// point at a private address.
	URL string
	// Every is the poll interval; DefaultEvery when zero.
	Every time.Duration
	// FullText fetches each new or edited item's page and uses its main
	// content as the article's text.
	FullText bool
	// AllowPrivateLinks lets FullText fetch pages on loopback, private,
	// link-local and multicast addresses, refused otherwise.
	AllowPrivateLinks bool
	// Include keeps only items matching at least one entry, Exclude drops
	// items matching any (words, matched as digests match them).
	Include, Exclude []string
}

// Poll intervals.
const (
	DefaultEvery = 15 * time.Minute
	MinEvery     = time.Minute
	// MaxBackoff bounds the wait after repeated failures.
	MaxBackoff = 24 * time.Hour
)

// Validate reports what is wrong with the source, naming the field.
func (s Source) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("name: empty")
	}
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "":
		return fmt.Errorf("url: empty")
	case err != nil:
		return fmt.Errorf("url: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("url: %q is not an http or https address", s.URL)
	case u.Host == "":
		return fmt.Errorf("url: %q has no host", s.URL)
	}
	if s.Every != 0 && s.Every < MinEvery {
		return fmt.Errorf("every: %s is too often; at least %s", s.Every, MinEvery)
	}
	return nil
}

func (s Source) every() time.Duration {
	if s.Every <= 0 {
		return DefaultEvery
	}
	return s.Every
}

// Store is what the poller needs of the database: the records of stored
// items (as files keyed by path) and an opaque state per feed, written
// with the feed's new items in one transaction.
type Store interface {
	Files(ctx context.Context, paths []string) (map[string]store.FileInfo, error)
	PutFeedItems(ctx context.Context, name string, files []store.File, state func([]store.Outcome) ([]byte, error)) ([]store.Outcome, error)
	FeedState(ctx context.Context, name string) ([]byte, error)
	FeedStates(ctx context.Context) (map[string][]byte, error)
	PutFeedState(ctx context.Context, name string, state []byte) error
}

// Clock is the time source of the poller and scheduler.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
