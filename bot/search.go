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
	"github.com/digestbot/digestbot/store"
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
	Date              corpus.Date
	Snippet           string // matched words marked with **bold**
}

// SearchResult is one page of results.
type SearchResult struct {
	Total int
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
		return Response{}, Errorf("Search is not available on this bot yet; try /date.")
	}
	q.PerPage = pageSize
	res, err := b.d.Search.Search(ctx, q)
	if err != nil {
		return Response{}, err
	}
	shown := escapeMarkdown(clipText(q.Text, 80))
	if res.Total == 0 {
		return Response{Content: fmt.Sprintf("No articles match %s.", shown), Ephemeral: true, Update: update}, nil
	}
	lastPage := (res.Total+pageSize-1)/pageSize - 1
	key, err := b.searchKey(ctx, q, max(lastPage, q.Page)+1) // the Next button names one past
	if err != nil {
		return Response{}, err
	}
	items := make([]listItem, len(res.Hits))
	for i, h := range res.Hits {
		items[i] = listItem{ID: h.ID, Title: h.Title, Date: h.Date, Text: h.Snippet}
	}
	title := "Search: " + shown
	return listResponse(title, items, res.Total, q.Page, func(p int) string { return fmt.Sprintf("s|%d|%s", p, key) }, update), nil
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
		if errors.Is(err, store.ErrNotFound) || (err == nil && b.d.Now().Sub(at) > stateTTL) {
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

// escapeMarkdown makes user text safe to echo: Discord markdown is escaped
// and mentions are defused (allowed_mentions also stops any ping).
func escapeMarkdown(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|', '>', '#', '[', ']', '(', ')', '-':
			sb.WriteByte('\\')
		case '@':
			sb.WriteString("@\u200b")
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
