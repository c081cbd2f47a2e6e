package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// Item statuses in a Report.
const (
	Added     = "added"
	Updated   = "updated"
	Unchanged = "unchanged"
	Skipped   = "skipped"
)

// ItemResult is what a poll did with one item.
type ItemResult struct {
	Feed   string
	Status string // Added, Updated, Unchanged or Skipped
	ID     string // the stored article's ID
	Title  string
	Date   corpus.Date
	URL    string
	Reason string // why it was skipped
}

// Report is the outcome of one poll of one feed.
type Report struct {
	Feed string
	// Items are the results of the feed document's items, in its order;
	// none when it was not modified or the poll failed.
	Items       []ItemResult
	NotModified bool
	// Err is why the poll failed: nothing stored changed.
	Err error
	// State is the feed's state after the poll.
	State State
}

// Count returns the number of items with status.
func (r Report) Count(status string) int {
	n := 0
	for _, it := range r.Items {
		if it.Status == status {
			n++
		}
	}
	return n
}

// Poller polls feeds once each: it fetches, parses and stores them and
// keeps their state.
type Poller struct {
	Store   Store
	Fetcher *Fetcher
	Clock   Clock
	// Location gives items their day; default UTC.
	Location *time.Location
	// Analyze splits text into the terms include/exclude filters match
	// (the search analysis, as digests use); default lower-cased words.
	Analyze func(string) []string
	// Log receives a line per failed poll; default none.
	Log *slog.Logger

	polling sync.Map // feed name → *sync.Mutex: one poll of a feed at a time
}

const (
	acceptFeeds = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
	acceptPages = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
)

// Poll polls src once. A failed poll changes no stored article; it is
// recorded in the feed's state with its back-off. A poll cancelled by ctx
// records nothing. The items and the feed's state are stored in one
// transaction.
func (p *Poller) Poll(ctx context.Context, src Source) Report {
	mu, _ := p.polling.LoadOrStore(src.Name, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	rep := Report{Feed: src.Name}
	st, err := LoadState(ctx, p.Store, src.Name)
	if err != nil {
		rep.Err = err
		return rep
	}
	if st.URL != src.URL {
		st = State{URL: src.URL, Failures: st.Failures, FailingSince: st.FailingSince}
	}
	now := p.Clock.Now()
	var b *batch
	resp, err := p.Fetcher.Get(ctx, Request{URL: src.URL, ETag: st.ETag, LastModified: st.LastModified, Accept: acceptFeeds})
	if err == nil && !resp.NotModified {
		var items []Item
		var base *url.URL
		if items, base, err = Parse(resp.Body, resp.URL, resp.ContentType); err == nil {
			b, err = p.prepare(ctx, src, &st, items, base, now)
		}
	}
	if err != nil && ctx.Err() != nil {
		rep.Err = ctx.Err()
		return rep
	}
	if err != nil {
		return p.failed(ctx, src, st, now, err)
	}
	if resp.NotModified {
		rep.NotModified = true
		st.succeeded(now, src.every(), OutcomeNotModified)
		rep.State = st
		rep.Err = saveState(ctx, p.Store, src.Name, st)
		return rep
	}
	before := st // what to record if the store fails: the old validators
	st.succeeded(now, src.every(), OutcomeOK)
	st.Items = len(b.results)
	// An item to try again must not be hidden behind a 304.
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	if b.retry {
		st.ETag, st.LastModified = "", ""
	}
	_, err = p.Store.PutFeedItems(ctx, src.Name, b.puts, func(out []store.Outcome) ([]byte, error) {
		b.apply(src.Name, out)
		st.Added, st.Updated = b.count(Added), b.count(Updated)
		return json.Marshal(st)
	})
	if err != nil {
		if ctx.Err() != nil {
			rep.Err = ctx.Err()
			return rep
		}
		return p.failed(ctx, src, before, now, err)
	}
	rep.Items, rep.State = b.results, st
	return rep
}

// failed records a failed poll in the feed's state.
func (p *Poller) failed(ctx context.Context, src Source, st State, now time.Time, err error) Report {
	var se *StatusError
	var wait time.Duration
	if errors.As(err, &se) {
		wait = se.RetryAfter
	}
	st.failed(now, src.every(), err, wait)
	if p.Log != nil {
		p.Log.Warn("feed poll failed", "feed", src.Name, "failures", st.Failures, "next", st.NextPoll, "error", err)
	}
	rep := Report{Feed: src.Name, Err: err, State: st}
	if serr := saveState(ctx, p.Store, src.Name, st); serr != nil {
		rep.Err = errors.Join(err, serr)
	}
	return rep
}

// batch is a feed document's items on their way to the store.
type batch struct {
	results []ItemResult
	entries []Entry
	puts    []store.File
	putIdx  []int // the item of each put
	// retry: an item failed for a reason that may pass (its page could
	// not be fetched).
	retry bool
}

func (b *batch) count(status string) int {
	return Report{Items: b.results}.Count(status)
}

// apply records the outcomes of storing the puts.
func (b *batch) apply(feed string, outcomes []store.Outcome) {
	for j, o := range outcomes {
		i := b.putIdx[j]
		a := b.entries[i].Article
		a.ID = o.ID
		switch o.Status {
		case store.Added:
			b.results[i] = itemResult(feed, Added, a)
		case store.Updated:
			b.results[i] = itemResult(feed, Updated, a)
		case store.Unchanged:
			b.results[i] = itemResult(feed, Unchanged, a)
		default:
			b.results[i] = itemResult(feed, Skipped, a)
			b.results[i].Reason = "same content as " + o.Original
		}
	}
}

// prepare turns items into articles: unchanged ones from what is stored,
// new and edited ones to put (after fetching their pages, for full text,
// and filtering), the others skipped with a reason.
func (p *Poller) prepare(ctx context.Context, src Source, st *State, items []Item, base *url.URL, now time.Time) (*batch, error) {
	b, paths := p.identify(src, items, base, now)
	known, err := p.Store.Files(ctx, paths)
	if err != nil {
		return nil, err
	}
	filtered := map[string]string{}
	flt := newFilter(p.analyze(), src.Include, src.Exclude)
	for i := range b.entries {
		e, r := &b.entries[i], &b.results[i]
		if r.Reason != "" {
			continue
		}
		path := itemPath(src.Name, e.Key)
		k, ok := known[path]
		switch {
		case ok && k.RawHash == e.RawHash && k.Article.ID != "":
			*r = itemResult(src.Name, Unchanged, k.Article)
			continue
		case st.Filtered[e.Key] == e.RawHash:
			filtered[e.Key] = e.RawHash
			r.Reason = reasonFiltered
			continue
		case ok && !e.Dated && k.Article.Date.From == corpus.FromFirstSeen:
			e.Article.Date = k.Article.Date // first seen then, not now
		}
		if src.FullText && e.Link != "" {
			if err := p.fullText(ctx, src, e); err != nil {
				r.Reason = "full text: " + err.Error()
				b.retry = b.retry || !permanent(err)
				continue
			}
		}
		switch {
		case e.Article.Body == "" || e.Article.Title == "":
			r.Reason = "no text"
		case !flt.keep(e.Article):
			filtered[e.Key] = e.RawHash
			r.Reason = reasonFiltered
		default:
			b.puts = append(b.puts, store.File{Path: path, RawHash: e.RawHash, Size: int64(len(e.Article.Body)), Article: e.Article})
			b.putIdx = append(b.putIdx, i)
		}
	}
	st.Filtered = filtered
	return b, ctx.Err()
}

// identify makes the items entries, skipping those that cannot be one or
// repeat an earlier item's identity, and returns the paths of the rest.
func (p *Poller) identify(src Source, items []Item, base *url.URL, now time.Time) (*batch, []string) {
	b := &batch{results: make([]ItemResult, len(items)), entries: make([]Entry, len(items))}
	paths := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		e, err := ItemEntry(src.Name, it, base, p.location(), now)
		b.entries[i] = e
		b.results[i] = ItemResult{Feed: src.Name, Status: Skipped, Title: e.Article.Title, Date: e.Article.Date, URL: e.Link}
		if err != nil {
			b.results[i].Title, b.results[i].Reason = cleanTitle(it.Title), err.Error()
			continue
		}
		if j, dup := seen[e.Key]; dup {
			b.results[i].Reason = fmt.Sprintf("same identity as item %d of the feed", j+1)
			continue
		}
		seen[e.Key] = i
		paths = append(paths, itemPath(src.Name, e.Key))
	}
	return b, paths
}

const reasonFiltered = "dropped by the feed's include/exclude filters"

func itemResult(feed, status string, a corpus.Article) ItemResult {
	return ItemResult{Feed: feed, Status: status, ID: a.ID, Title: a.Title, Date: a.Date, URL: a.URL}
}

// itemPath is the key an item's record is stored under.
func itemPath(feed, key string) string { return "feed:" + feed + ":" + key }

// fullText replaces the entry's text with the main content of its page.
func (p *Poller) fullText(ctx context.Context, src Source, e *Entry) error {
	resp, err := p.Fetcher.Get(ctx, Request{URL: e.Link, Untrusted: true, AllowPrivate: src.AllowPrivateLinks, Accept: acceptPages})
	if err != nil {
		return err
	}
	if ct := resp.ContentType; ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "text/html" && mt != "application/xhtml+xml" {
			return &pageError{fmt.Sprintf("not an HTML page (%s)", mt)}
		}
	}
	page, err := corpus.ParseHTML(src.Name, resp.Body, resp.URL)
	if err != nil {
		var fe *corpus.FileError
		if errors.As(err, &fe) {
			err = fe.Err
		}
		return &pageError{err.Error()}
	}
	if strings.TrimSpace(page.Body) == "" {
		return &pageError{"no article text on the page"}
	}
	if !e.Dated && page.Date.Known() {
		e.Article.Date = page.Date
	}
	if page.URL != "" {
		e.Article.URL = page.URL // canonical, tracking parameters dropped
	}
	if e.Article.Title == "" {
		e.Article.Title, e.Article.TitleFrom = page.Title, page.TitleFrom
	}
	e.Article = withText(e.Article, page.Body)
	return nil
}

// pageError is a page that was fetched but holds no usable article:
// trying again will not help until the item changes.
type pageError struct{ msg string }

func (e *pageError) Error() string { return e.msg }

// permanent reports a full-text failure that retrying will not cure.
func permanent(err error) bool {
	var pe *pageError
	var se *StatusError
	switch {
	case errors.Is(err, ErrPrivateAddress), errors.Is(err, ErrBadRedirect), errors.Is(err, ErrTooLarge), errors.As(err, &pe):
		return true
	case errors.As(err, &se):
		return se.Code >= 400 && se.Code < 500 && se.Code != 408 && se.Code != 429
	}
	return false
}

func (p *Poller) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

func (p *Poller) analyze() func(string) []string {
	if p.Analyze != nil {
		return p.Analyze
	}
	return func(s string) []string { return strings.Fields(strings.ToLower(s)) }
}
