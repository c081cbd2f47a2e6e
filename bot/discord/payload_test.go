package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/")

// markdownSearch finds one article whose snippet holds Markdown and a word
// in capitals, with the matched words marked twice over (touching spans),
// as a careless highlighter would.
type markdownSearch struct{}

func (markdownSearch) Search(_ context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	snippet := "Floods in DRESDEN: the *old town* and Dresden-Neustadt [closed] _today_ (a_b) @here"
	i := strings.Index(snippet, "DRESDEN")
	j := strings.Index(snippet, "Dresden-")
	return bot.SearchResult{Total: 1, Hits: []bot.SearchHit{{
		ID: "abcdef123456", Title: "Floods in *DRESDEN*", Snippet: snippet,
		Marks: []bot.Span{{Start: i, End: i + 3}, {Start: i + 3, End: i + 7}, {Start: j, End: j + 7}},
	}}}, nil
}

// TestGoldenPayloads: what Discord receives for answers that echo Markdown
// (a query with *, a snippet with Markdown and highlights) is escaped once
// and bolded once, byte for byte as in testdata/*.payload.golden.
func TestGoldenPayloads(t *testing.T) {
	fake := fakediscord.StartT(t, fakediscord.Options{})
	db := testenv.SampleDB(t)
	b := bot.New(bot.Deps{Articles: db, State: db, Search: markdownSearch{},
		Now: func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) }})
	tr, err := discord.New(b, discord.Options{Token: "test-token", APIURL: fake.URL(), DeferAfter: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if err := tr.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tr.Close(ctx)
	})
	cases := []struct {
		name string
		in   fakediscord.Interaction
	}{
		{"search-markdown", fakediscord.SlashCommand("search", fakediscord.Str("query", "Party* _x_"), fakediscord.Str("from", "2023"))},
		{"article-upper-case", fakediscord.SlashCommand("article", fakediscord.Str("id", "AD0293"))},
	}
	for _, c := range cases {
		cb, err := fake.Exchange(ctx, c.in)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := json.Indent(&out, cb.Raw, "", "  "); err != nil {
			t.Fatalf("%s: %v: %s", c.name, err, cb.Raw)
		}
		out.WriteByte('\n')
		path := filepath.Join("testdata", c.name+".payload.golden")
		if *update {
			testenv.WriteFile(t, path, out.String())
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/discord -run GoldenPayloads -update)", err)
		}
		if out.String() != string(want) {
			t.Errorf("%s payload differs from %s:\n%s", c.name, path, out.String())
		}
	}
}
