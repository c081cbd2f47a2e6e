package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// linkedSearch finds every stored article, carrying its URL.
type linkedSearch struct{ db *store.DB }

func (s linkedSearch) Search(ctx context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	all, err := s.db.All(ctx)
	if err != nil {
		return bot.SearchResult{}, err
	}
	var res bot.SearchResult
	for _, a := range all {
		res.Hits = append(res.Hits, bot.SearchHit{ID: a.ID, Title: a.Title, URL: a.URL, Date: a.Date, Source: a.Source, Snippet: "…"})
	}
	res.Total = len(res.Hits)
	return res, nil
}

// Titles link to the original article: the /article embed's URL, a link
// in each /search and /date result, the shared post, and a line in the
// console's rendering.
func TestArticleLinksToOriginal(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const url = "https://news.example/2023/07/ferry_(update)"
	page := `<html><head><link rel="canonical" href="` + url + `?utm_source=x"><title>Ferry fares rise</title></head>
<body><article><h1>Ferry fares rise</h1><p>Ferry fares will rise by 8 per cent from June, the operator said on Monday, 3 July 2023.</p>
<p>Commuters said the rise was unfair.</p></article></body></html>`
	a, err := corpus.ParseHTML("ferry.html", []byte(page), "")
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != url {
		t.Fatalf("parsed URL %q, want %q", a.URL, url)
	}
	if _, err := db.Put(ctx, []store.File{{Path: "/ferry.html", RawHash: "r", Size: 1, Article: a}}); err != nil {
		t.Fatal(err)
	}
	b := bot.New(bot.Deps{Articles: db, State: db, Search: linkedSearch{db}, Now: now})

	r := b.Handle(ctx, cmd("article", "id", a.ID))
	if len(r.Embeds) != 1 || r.Embeds[0].URL != url {
		t.Fatalf("/article embeds %+v, want URL %s", r.Embeds, url)
	}
	if text := bot.RenderText(r); !strings.Contains(text, "<"+url+">") {
		t.Errorf("console rendering lacks the URL:\n%s", text)
	}
	for _, req := range []bot.Request{cmd("search", "query", "ferry"), cmd("date", "when", "2023")} {
		r := b.Handle(ctx, req)
		if len(r.Embeds) != 1 || len(r.Embeds[0].Fields) != 1 {
			t.Fatalf("/%s: %+v", req.Command, r)
		}
		want := "[original](https://news.example/2023/07/ferry_%28update%29)"
		if v := r.Embeds[0].Fields[0].Value; !strings.Contains(v, want) {
			t.Errorf("/%s result %q lacks %s", req.Command, v, want)
		}
	}
	shared := b.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: "share|" + a.ID, UserID: "42", GuildID: "g", ChannelID: "c"})
	if shared.Public == nil || len(shared.Public.Embeds) != 1 || shared.Public.Embeds[0].URL != url {
		t.Errorf("shared post: %+v", shared.Public)
	}
}
