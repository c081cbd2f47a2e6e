package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/digestbot/digestbot/corpus"
)

// Entry is one feed item made into an article.
type Entry struct {
	// Key identifies the item within its feed across polls: its GUID (or
	// JSON Feed id), else its link, else a hash of its content.
	Key string
	// RawHash changes when the publisher edits the item.
	RawHash string
	// Link is the item's absolute http(s) address, or empty.
	Link string
	// Dated reports whether the feed gave the item a date; an undated
	// item is dated the day it was first seen.
	Dated bool
	// Article is the item as an article (Source is the feed's name).
	Article corpus.Article
}

// ErrNoText: an item with neither a title nor any text.
var ErrNoText = errors.New("no title and no text")

// Item limits.
const (
	maxTitleRunes = 300
	maxKeyBytes   = 512
)

// Item is one item of a parsed feed, with what gofeed's common item does
// not say.
type Item struct {
	*gofeed.Item
	// PlainText is the item's text when the feed gives it as plain text
	// (JSON Feed content_text without content_html).
	PlainText bool
}

// ItemEntry makes a feed item into an Entry. base resolves relative links
// (the feed's own link or address); dates are days in loc; seen dates an
// undated item.
func ItemEntry(feedName string, it Item, base *url.URL, loc *time.Location, seen time.Time) (Entry, error) {
	link := resolveLink(base, it.Link)
	for _, l := range it.Links {
		if link != "" {
			break
		}
		link = resolveLink(base, l)
	}
	// The link as given identifies the item; the one stored is cleaned
	// (tracking parameters and fragment dropped).
	e := Entry{Link: corpus.CleanURL(link)}
	e.RawHash = rawHash(it)
	switch guid := strings.TrimSpace(it.GUID); {
	case guid != "":
		e.Key = "id:" + guid
	case link != "":
		e.Key = "link:" + link
	default:
		e.Key = "hash:" + e.RawHash[:32]
	}
	if len(e.Key) > maxKeyBytes || !utf8.ValidString(e.Key) {
		sum := sha256.Sum256([]byte(e.Key))
		e.Key = "key:" + hex.EncodeToString(sum[:16])
	}

	body := itemText(it.Content, it.PlainText)
	if body == "" {
		body = itemText(it.Description, false)
	}
	body = dropBoilerplate(body)
	title := cleanTitle(it.Title)
	if title == "" && body == "" && e.Link == "" {
		return e, ErrNoText
	}
	// A bare link (a link blog's item) has its title and text only on its
	// page: full text may fill them in.
	a := corpus.Article{Title: title, TitleFrom: corpus.TitleFeed, Source: feedName, URL: e.Link}
	if title == "" && body != "" {
		a.Title, a.TitleFrom = clipRunes(strings.SplitN(body, "\n\n", 2)[0], 100), corpus.TitleSentence
	}
	var when *time.Time
	switch {
	case it.PublishedParsed != nil && !it.PublishedParsed.IsZero():
		when = it.PublishedParsed
	case it.UpdatedParsed != nil && !it.UpdatedParsed.IsZero():
		when = it.UpdatedParsed
	}
	if when != nil {
		t := when.In(loc)
		a.Date, e.Dated = corpus.DayDate(t.Year(), t.Month(), t.Day(), corpus.FromFeed)
	}
	if !e.Dated {
		t := seen.In(loc)
		a.Date, _ = corpus.DayDate(t.Year(), t.Month(), t.Day(), corpus.FromFirstSeen)
	}
	e.Article = withText(a, body)
	return e, nil
}

// dropBoilerplate removes the paragraphs that are furniture, not article
// text: what corpus.IsBoilerplate says of HTML bodies ("Read more",
// "Share this", credits), and the "The post … appeared first on …" line
// WordPress adds to every feed item.
func dropBoilerplate(body string) string {
	if body == "" {
		return ""
	}
	paras := strings.Split(body, "\n\n")
	kept := paras[:0]
	for _, p := range paras {
		if corpus.IsBoilerplate(p) || wordPressFooter(p) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "\n\n")
}

func wordPressFooter(p string) bool {
	return strings.HasPrefix(p, "The post ") && strings.Contains(p, " appeared first on ") && len(p) < 600
}

// withText sets the body and what follows from it: words, hash and ID.
func withText(a corpus.Article, body string) corpus.Article {
	a.Body = body
	a.Words = len(strings.Fields(body))
	sum := sha256.Sum256([]byte(a.Title + "\n\n" + body))
	a.Hash = hex.EncodeToString(sum[:])
	a.ID = a.Hash[:12]
	return a
}

// rawHash hashes what the feed says of an item, to tell an edit. Its
// times are left out: some feeds stamp every item anew on each request
// (and a missing published time falls back to the updated one), and an
// edit that matters changes the text.
func rawHash(it Item) string {
	h := sha256.New()
	for _, s := range []string{it.GUID, it.Title, it.Link, it.Description, it.Content} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// itemText turns an item's HTML (or plain) text into clean paragraphs.
func itemText(s string, plain bool) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if plain {
		// Plain text goes through the same HTML path, escaped: blank lines
		// make paragraphs; a single line break is only wrapping.
		var b strings.Builder
		for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(p))
			b.WriteString("</p>\n")
		}
		s = b.String()
	}
	return corpus.HTMLText(s)
}

// cleanTitle decodes entities and flattens markup in a title to one line.
func cleanTitle(s string) string {
	if strings.ContainsAny(s, "<&") {
		s = corpus.HTMLText(s)
	}
	s = strings.Join(strings.Fields(s), " ")
	return clipRunes(s, maxTitleRunes)
}

// clipRunes cuts s to at most n runes at a word boundary, with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// resolveLink returns link made absolute against base, or "" when it is
// not an http(s) address.
func resolveLink(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
