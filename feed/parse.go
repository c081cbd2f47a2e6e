package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/json"
	"golang.org/x/net/html/charset"
)

// ErrEmptyFeed: the response body is empty.
var ErrEmptyFeed = errors.New("empty response")

// Parse parses an RSS, Atom or JSON Feed document fetched from feedURL
// and returns its items in document order, with the base address that
// relative item links resolve against (the feed's own link, else its
// address). contentType is the response's Content-Type: its charset
// decodes an XML feed that declares no encoding of its own.
func Parse(data []byte, feedURL, contentType string) ([]Item, *url.URL, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, ErrEmptyFeed
	}
	typ := gofeed.DetectFeedType(bytes.NewReader(data))
	if typ == gofeed.FeedTypeRSS || typ == gofeed.FeedTypeAtom {
		data = headerCharset(data, contentType)
	}
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

var utf8BOM = []byte("\xef\xbb\xbf")

// headerCharset decodes an XML document to UTF-8 by the charset of its
// Content-Type when the document does not declare its own encoding (a
// declaration wins: servers label everything UTF-8 more often than
// publishers mislabel their files).
func headerCharset(data []byte, contentType string) []byte {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return data
	}
	label := strings.ToLower(strings.TrimSpace(params["charset"]))
	switch label {
	case "", "utf-8", "utf8", "us-ascii":
		return data
	}
	if prolog, _, ok := bytes.Cut(bytes.TrimSpace(data), []byte("?>")); ok && bytes.HasPrefix(bytes.TrimSpace(data), []byte("<?xml")) &&
		bytes.Contains(prolog, []byte("encoding")) {
		return data
	}
	r, err := charset.NewReaderLabel(label, bytes.NewReader(data))
	if err != nil {
		return data
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return data
	}
	return out
}
