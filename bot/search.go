package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/apperr"
)

// SearchQuery is a search as the user typed it.
type SearchQuery struct {
	Text    string `json:"q"`
	From    string `json:"f,omitempty"` // WHEN expressions, may be empty
	To      string `json:"t,omitempty"`
	Page    int    `json:"-"` // from 0
	PerPage int    `json:"-"`
}

// SearchHit is one result.
type SearchHit struct {
	ID, Title, Source string
	URL               string // the original article, or ""
	Date              corpus.Date
	// Snippet is a passage of the article as plain text; Marks are the
	// byte ranges of the words that matched, in order. The bot escapes the
	// text and bolds the marks, once each.
	Snippet string
	Marks   []Span
}

// Span is a byte range [Start, End) of a snippet.
type Span struct{ Start, End int }

// SearchResult is one page of results.
type SearchResult struct {
	Total int
	// About is true when Total is an estimate (a phrase of very common
	// words); the list shows "about N results".
	About bool
	Hits  []SearchHit
}

// Searcher runs keyword searches. A query the user got wrong comes back as
// an *Error with a message for them.
type Searcher interface {
	Search(ctx context.Context, q SearchQuery) (SearchResult, error)
}

// stateTTL is how long a search stored for its buttons stays usable.
const stateTTL = 30 * 24 * time.Hour

func (b *Bot) searchCommand(ctx context.Context, req Request) (Response, error) {
	q := SearchQuery{Text: strings.TrimSpace(req.Option("query")), From: strings.TrimSpace(req.Option("from")), To: strings.TrimSpace(req.Option("to"))}
	if q.Text == "" {
		return Response{}, Errorf("Type some words to search for, e.g. /search query:border police.")
	}
	if n := Len(q.Text); n > maxQueryLen {
		return Response{}, Errorf("That query is %d characters long; keep it under %d.", n, maxQueryLen)
	}
	return b.searchResults(ctx, q, false)
}

func (b *Bot) searchResults(ctx context.Context, q SearchQuery, update bool) (Response, error) {
	if b.d.Search == nil {
		return Response{}, apperr.Errorf(apperr.Unavailable, "Search is not available on this bot yet; try /date.")
	}
	q.PerPage = pageSize
	res, err := b.d.Search.Search(ctx, q)
	if err != nil {
		return Response{}, err
	}
	shown := escapeMarkdown(clipText(q.Text, 80))
	filters := searchFilters(q)
	if res.Total == 0 {
		msg := fmt.Sprintf("No articles match %s.", shown)
		if filters != "" {
			msg = fmt.Sprintf("No articles match %s with %s. Try again without %s.", shown, filters, pluralWord(strings.Count(filters, ":"), "it", "them"))
		}
		return Response{Content: msg, Ephemeral: true, Update: update}, nil
	}
	lastPage := (res.Total+pageSize-1)/pageSize - 1
	key, err := b.searchKey(ctx, q, max(lastPage, q.Page)+1) // the Next button names one past
	if err != nil {
		return Response{}, err
	}
	items := make([]listItem, len(res.Hits))
	for i, h := range res.Hits {
		items[i] = listItem{ID: h.ID, Title: h.Title, URL: h.URL, Date: h.Date, Text: highlight(h.Snippet, h.Marks)}
	}
	title := "Search: " + shown
	if filters != "" {
		title += " · " + filters
	}
	resp := listResponse(title, items, res.Total, q.Page, func(p int) string { return fmt.Sprintf("s|%d|%s", p, key) }, update)
	if res.About {
		for i := range resp.Embeds {
			resp.Embeds[i].Footer = "about " + resp.Embeds[i].Footer
		}
	}
	return resp, nil
}

// searchKey returns how the buttons of a result list name their search:
// inline in the custom ID when it fits with any page up to lastPage
// ("=" + JSON), else a key into the store ("#" + hash).
func (b *Bot) searchKey(ctx context.Context, q SearchQuery, lastPage int) (string, error) {
	data, _ := json.Marshal(q)
	if utf16Len(fmt.Sprintf("s|%d|=%s", lastPage, data)) <= maxCustomID {
		return "=" + string(data), nil
	}
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:8])
	if b.d.State == nil {
		return "", errors.New("search too long for a custom ID and no state store")
	}
	if err := b.d.State.PutValue(ctx, "search:"+key, data, b.d.Now()); err != nil {
		return "", err
	}
	return "#" + key, nil
}

func (b *Bot) searchPage(ctx context.Context, _ Request, rest string) (Response, error) {
	pageText, key, ok := strings.Cut(rest, "|")
	page, err := strconv.Atoi(pageText)
	if !ok || err != nil || page < 0 || key == "" {
		return Response{}, Errorf("This button is broken; run /search again.")
	}
	var data []byte
	switch key[0] {
	case '=':
		data = []byte(key[1:])
	case '#':
		if b.d.State == nil {
			return Response{}, Errorf("These results have expired; run /search again.")
		}
		v, at, err := b.d.State.Value(ctx, "search:"+key[1:])
		if apperr.Is(err, apperr.NotFound) || (err == nil && b.d.Now().Sub(at) > stateTTL) {
			return Response{}, Errorf("These results have expired; run /search again.")
		}
		if err != nil {
			return Response{}, err
		}
		data = v
	default:
		return Response{}, Errorf("This button is broken; run /search again.")
	}
	var q SearchQuery
	if err := json.Unmarshal(data, &q); err != nil || q.Text == "" {
		return Response{}, Errorf("This button is broken; run /search again.")
	}
	q.Page = page
	return b.searchResults(ctx, q, true)
}

// searchFilters names the date filters given as options, as the user
// would type them in a query: "from:yesterday to:2023-08"; "" for none.
// (Filters typed in the query itself show in the query.)
func searchFilters(q SearchQuery) string {
	var parts []string
	if q.From != "" {
		parts = append(parts, "from:"+escapeMarkdown(clipText(q.From, maxWhenLen)))
	}
	if q.To != "" {
		parts = append(parts, "to:"+escapeMarkdown(clipText(q.To, maxWhenLen)))
	}
	return strings.Join(parts, " ")
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// highlight renders a snippet as Discord markdown: the text escaped, each
// marked range in bold. Marks out of order, overlapping or out of range are
// skipped; touching marks are merged so no "****" appears between them.
func highlight(text string, marks []Span) string {
	var sb strings.Builder
	at := 0
	for i := 0; i < len(marks); i++ {
		m := marks[i]
		if m.Start < at || m.End > len(text) || m.Start >= m.End {
			continue
		}
		for i+1 < len(marks) && marks[i+1].Start == m.End && marks[i+1].End <= len(text) && marks[i+1].End > m.End {
			i++
			m.End = marks[i].End
		}
		sb.WriteString(escapeAt(text, at, m.Start))
		sb.WriteString("**" + escapeAt(text, m.Start, m.End) + "**")
		at = m.End
	}
	sb.WriteString(escapeAt(text, at, len(text)))
	return sb.String()
}

// escapeAt escapes text[from:to], knowing whether it starts a line.
func escapeAt(text string, from, to int) string {
	return escapeText(text[from:to], from == 0 || text[from-1] == '\n')
}

// escapeMarkdown makes text show literally in Discord markdown, escaping
// each special character once: emphasis, code, spoilers and links
// anywhere, quotes, headings and list markers at the start of a line.
// Mentions are defused (allowed_mentions also stops any ping).
func escapeMarkdown(s string) string { return escapeText(s, true) }

// escapeText is escapeMarkdown for s that starts a line or not.
func escapeText(s string, lineStart bool) string {
	var sb strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|', '[', ']':
			sb.WriteByte('\\')
		case '>', '#', '-':
			if lineStart {
				sb.WriteByte('\\')
			}
		case '@':
			sb.WriteString("@\u200b")
			lineStart = false
			continue
		}
		sb.WriteRune(r)
		lineStart = r == '\n' || (lineStart && r == ' ')
	}
	return sb.String()
}
