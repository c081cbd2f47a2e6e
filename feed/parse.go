package feed

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/json"
)

// ErrEmptyFeed: the response body is empty.
var ErrEmptyFeed = errors.New("empty response")

// Parse parses an RSS, Atom or JSON Feed document fetched from feedURL
// and returns its items in document order, with the base address that
// relative item links resolve against (the feed's own link, else its
// address).
func Parse(data []byte, feedURL string) ([]Item, *url.URL, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, ErrEmptyFeed
	}
	typ := gofeed.DetectFeedType(bytes.NewReader(data))
	p := gofeed.NewParser()
	// A JSON Feed's items say whether their text is HTML or plain text
	// only in the original.
	p.KeepOriginalFeed = typ == gofeed.FeedTypeJSON
	f, err := p.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, nil, errors.New("not an RSS, Atom or JSON feed")
		}
		return nil, nil, fmt.Errorf("parse feed: %w", err)
	}
	base, _ := url.Parse(feedURL)
	if base != nil && f.Link != "" {
		if l, err := url.Parse(f.Link); err == nil {
			if r := base.ResolveReference(l); (r.Scheme == "http" || r.Scheme == "https") && r.Host != "" {
				base = r
			}
		}
	}
	var orig []*json.Item
	if jf, ok := f.OriginalFeed().(*json.Feed); ok && len(jf.Items) == len(f.Items) {
		orig = jf.Items
	}
	items := make([]Item, 0, len(f.Items))
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		item := Item{Item: it}
		if orig != nil && orig[i] != nil && orig[i].ContentHTML == "" && orig[i].ContentText != "" {
			item.PlainText = true
		}
		items = append(items, item)
	}
	return items, base, nil
}
