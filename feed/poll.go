package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"strings"
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
}

const (
	acceptFeeds = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
	acceptPages = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
)

// Poll polls src once. A failed poll changes no stored article; it is
// recorded in the feed's state with its back-off. A poll cancelled by ctx
// records nothing.
func (p *Poller) Poll(ctx context.Context, src Source) Report {
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
	resp, err := p.Fetcher.Get(ctx, Request{URL: src.URL, ETag: st.ETag, LastModified: st.LastModified, Accept: acceptFeeds})
	if err == nil && !resp.NotModified {
		var items []Item
		var base *url.URL
		if items, base, err = Parse(resp.Body, resp.URL); err == nil {
			var retry bool
			rep.Items, retry, err = p.storeItems(ctx, src, &st, items, base, now)
			st.Items = len(items)
			st.Added, st.Updated = rep.Count(Added), rep.Count(Updated)
			// An item to try again must not be hidden behind a 304.
			st.ETag, st.LastModified = resp.ETag, resp.LastModified
			if retry {
				st.ETag, st.LastModified = "", ""
			}
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		rep.Err, rep.Items = ctx.Err(), nil
		return rep
	case err != nil:
		var se *StatusError
		var wait time.Duration
		if errors.As(err, &se) {
			wait = se.RetryAfter
		}
		st.failed(now, src.every(), err, wait)
		rep.Err, rep.Items = err, nil
		if p.Log != nil {
			p.Log.Warn("feed poll failed", "feed", src.Name, "failures", st.Failures, "next", st.NextPoll, "error", err)
		}
	case resp.NotModified:
		rep.NotModified = true
		st.succeeded(now, src.every(), OutcomeNotModified)
	default:
		st.succeeded(now, src.every(), OutcomeOK)
	}
	rep.State = st
	if err := saveState(ctx, p.Store, src.Name, st); err != nil && rep.Err == nil {
		rep.Err = err
	}
	return rep
}

// storeItems turns items into articles and stores the new and edited
// ones in one transaction. retry reports an item that failed for a reason
// that may pass (its page could not be fetched).
func (p *Poller) storeItems(ctx context.Context, src Source, st *State, items []Item, base *url.URL, now time.Time) (results []ItemResult, retry bool, err error) {
	results = make([]ItemResult, len(items))
	entries := make([]Entry, len(items))
	paths := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		results[i] = ItemResult{Feed: src.Name, Status: Skipped}
		e, err := ItemEntry(src.Name, it, base, p.location(), now)
		entries[i] = e
		results[i].Title, results[i].Date, results[i].URL = e.Article.Title, e.Article.Date, e.Link
		if err != nil {
			results[i].Title = cleanTitle(it.Title)
			results[i].Reason = err.Error()
			continue
		}
		if j, dup := seen[e.Key]; dup {
			results[i].Reason = fmt.Sprintf("same identity as item %d of the feed", j+1)
			entries[i].Key = ""
			continue
		}
		seen[e.Key] = i
		paths = append(paths, itemPath(src.Name, e.Key))
	}
	known, err := p.Store.Files(ctx, paths)
	if err != nil {
		return nil, false, err
	}
	filtered := map[string]string{}
	flt := newFilter(p.analyze(), src.Include, src.Exclude)
	var puts []store.File
	var putIdx []int
	for i := range entries {
		e := &entries[i]
		r := &results[i]
		if e.Key == "" || r.Reason != "" {
			continue
		}
		path := itemPath(src.Name, e.Key)
		k, ok := known[path]
		if ok && k.RawHash == e.RawHash && k.Article.ID != "" {
			*r = itemResult(src.Name, Unchanged, k.Article, e.Link)
			continue
		}
		if st.Filtered[e.Key] == e.RawHash {
			filtered[e.Key] = e.RawHash
			r.Reason = "dropped by the feed's include/exclude filters"
			continue
		}
		if ok && !e.Dated && k.Article.Date.From == corpus.FromFirstSeen {
			e.Article.Date = k.Article.Date // first seen then, not now
		}
		if src.FullText && e.Link != "" {
			if err := p.fullText(ctx, src, e); err != nil {
				r.Reason = "full text: " + err.Error()
				retry = retry || !permanent(err)
				continue
			}
		}
		if e.Article.Body == "" {
			r.Reason = "no text"
			continue
		}
		if !flt.keep(e.Article) {
			filtered[e.Key] = e.RawHash
			r.Reason = "dropped by the feed's include/exclude filters"
			continue
		}
		puts = append(puts, store.File{Path: path, RawHash: e.RawHash, Size: int64(len(e.Article.Body)), Article: e.Article})
		putIdx = append(putIdx, i)
	}
	st.Filtered = filtered
	if len(puts) == 0 {
		return results, retry, nil
	}
	outcomes, err := p.Store.Put(ctx, puts)
	if err != nil {
		return nil, false, err
	}
	for j, o := range outcomes {
		i := putIdx[j]
		a := entries[i].Article
		a.ID = o.ID
		switch o.Status {
		case store.Added:
			results[i] = itemResult(src.Name, Added, a, entries[i].Link)
		case store.Updated:
			results[i] = itemResult(src.Name, Updated, a, entries[i].Link)
		case store.Unchanged:
			results[i] = itemResult(src.Name, Unchanged, a, entries[i].Link)
		default:
			results[i] = itemResult(src.Name, Skipped, a, entries[i].Link)
			results[i].Reason = "same content as " + o.Original
		}
	}
	return results, retry, nil
}

func itemResult(feed, status string, a corpus.Article, link string) ItemResult {
	return ItemResult{Feed: feed, Status: status, ID: a.ID, Title: a.Title, Date: a.Date, URL: link}
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
	page, err := parsePage(src.Name, resp.Body, resp.URL)
	if err != nil {
		return &pageError{err.Error()}
	}
	if strings.TrimSpace(page.Body) == "" {
		return &pageError{"no article text on the page"}
	}
	if !e.Dated && page.Date.Known() {
		e.Article.Date = page.Date
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
