package bot_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is the injected clock: 2023-07-04 09:00 UTC.
var now = func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) }

// fakeSearch is a small real searcher: every query word must appear in
// the title or body (case-insensitively), the from/to filters hold; newest
// first. The snippet is the title with the first word marked wherever it
// appears in it.
type fakeSearch struct{ db *store.DB }

func (f fakeSearch) Search(ctx context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	if strings.Contains(q.Text, "title:") {
		return bot.SearchResult{}, bot.Errorf("fields are not supported")
	}
	all, err := f.db.All(ctx)
	if err != nil {
		return bot.SearchResult{}, err
	}
	within := corpus.Unbounded()
	for i, when := range []string{q.From, q.To} {
		if when == "" {
			continue
		}
		r, err := corpus.ParseWhen(when, now())
		if err != nil {
			return bot.SearchResult{}, bot.Errorf("%v", err)
		}
		if i == 0 {
			within.From = r.From
		} else {
			within.To = r.To
		}
	}
	words := strings.Fields(strings.ToLower(strings.Trim(q.Text, "*")))
	var hits []bot.SearchHit
	for _, a := range all {
		text := strings.ToLower(a.Title + " " + a.Body)
		ok := within.Contains(a.Date) || (q.From == "" && q.To == "")
		for _, w := range words {
			ok = ok && strings.Contains(text, w)
		}
		if !ok {
			continue
		}
		h := bot.SearchHit{ID: a.ID, Title: a.Title, Date: a.Date, Source: a.Source, Snippet: a.Title}
		lower := strings.ToLower(a.Title)
		for at := 0; len(words) > 0; {
			i := strings.Index(lower[at:], words[0])
			if i < 0 {
				break
			}
			h.Marks = append(h.Marks, bot.Span{Start: at + i, End: at + i + len(words[0])})
			at += i + len(words[0])
		}
		hits = append(hits, h)
	}
	total := len(hits)
	lo := min(q.Page*q.PerPage, total)
	return bot.SearchResult{Total: total, Hits: hits[lo:min(lo+q.PerPage, total)]}, nil
}

// fakeDigests records posts; its "day" digests cover the day asked for.
type fakeDigests struct{ posted []string }

func (f *fakeDigests) Preview(_ context.Context, ch, rule string, day time.Time) (bot.DigestPreview, error) {
	if day.IsZero() {
		day = now()
	}
	covers := "articles dated " + day.Format("Monday 2 January 2006")
	return bot.DigestPreview{Title: "Daily digest", Articles: 1, Covers: covers, Messages: []bot.Message{{Content: "**Daily digest** for " + day.Format(time.DateOnly), Embeds: []bot.Embed{{Title: "One story", Description: "Its summary."}}}}}, nil
}

func (f *fakeDigests) Post(_ context.Context, ch, rule string, day time.Time) (int, error) {
	if day.IsZero() {
		day = now()
	}
	f.posted = append(f.posted, fmt.Sprintf("%s %s %s", ch, rule, day.Format(time.DateOnly)))
	return 1, nil
}

func (f *fakeDigests) Schedules(_ context.Context, ch string) ([]bot.ScheduleInfo, error) {
	all := []bot.ScheduleInfo{
		{Name: "morning", Channel: "c", Spec: "0 8 * * *", Zone: "Europe/Berlin", Select: "new",
			Covers: "articles stored since the channel's previous digest", Next: []time.Time{time.Date(2023, 7, 5, 6, 0, 0, 0, time.UTC)}},
		{Name: "evening", Channel: "other", Spec: "0 20 * * *", Zone: "UTC", Select: "day",
			Covers: "articles dated the day of each run (covers: today)", Next: []time.Time{time.Date(2023, 7, 4, 20, 0, 0, 0, time.UTC)}},
	}
	var out []bot.ScheduleInfo
	for _, s := range all {
		if ch == "" || s.Channel == ch {
			out = append(out, s)
		}
	}
	return out, nil
}

func newBot(t *testing.T) (*bot.Bot, *store.DB, *fakeDigests) {
	db := testenv.SampleDB(t)
	d := &fakeDigests{}
	return bot.New(bot.Deps{Articles: db, State: db, Search: fakeSearch{db}, Digests: d, Now: now, ManagerRoles: []string{"editors"}}), db, d
}

func cmd(name string, opts ...string) bot.Request {
	r := bot.Request{Kind: bot.KindCommand, Command: name, Options: map[string]string{}, UserID: "42", UserName: "ann", GuildID: "g", ChannelID: "c"}
	for i := 0; i+1 < len(opts); i += 2 {
		r.Options[opts[i]] = opts[i+1]
	}
	return r
}

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func TestResponsesGolden(t *testing.T) {
	b, _, _ := newBot(t)
	ctx := context.Background()
	cases := []struct {
		name string
		req  bot.Request
	}{
		{"help", cmd("help")},
		{"date-2023", cmd("date", "when", "2023")},
		{"date-yesterday", cmd("date", "when", "yesterday")},
		{"date-empty", cmd("date", "when", "1999")},
		{"date-impossible", cmd("date", "when", "2023-02-30")},
		{"article", cmd("article", "id", "089f788142b9")},
		{"article-unknown", cmd("article", "id", "doesnotexist")},
		{"search", cmd("search", "query", "party")},
		{"search-none", cmd("search", "query", "zeppelin")},
		{"search-bad", cmd("search", "query", "title:mohe")},
		{"search-mention", cmd("search", "query", "@everyone *bold*")},
		{"digest", cmd("digest", "select", "day", "date", "2023-07-03")},
		{"schedule", cmd("schedule")},
		{"unknown", cmd("frobnicate")},
		{"article-upper-case", cmd("article", "id", "AD0293")},
		{"article-short", cmd("article", "id", "ad")},
		{"date-until", cmd("date", "when", "..2022-01-01")},
		{"date-since", cmd("date", "when", "2023-08-01..")},
		{"date-month-name", cmd("date", "when", "July 2023")},
		{"date-month-abbrev", cmd("date", "when", "Jul 2023")},
		{"date-written-day", cmd("date", "when", "july 3 2023")},
		{"search-none-filters", cmd("search", "query", "party", "from", "2024", "to", "2025")},
		{"search-filters", cmd("search", "query", "party", "from", "2023", "to", "2023-07")},
		{"search-markdown", cmd("search", "query", "Party*")},
		{"digest-covers", cmd("digest", "select", "day", "date", "2023-08-08")},
		{"stats", cmd("stats")},
		{"schedule-all", func() bot.Request { r := cmd("schedule"); r.AllChannels = true; return r }()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name, bot.RenderText(b.Handle(ctx, c.req)))
		})
	}
}

func TestPagingSurvivesRestart(t *testing.T) {
	b, db, _ := newBot(t)
	ctx := context.Background()
	// Six more articles, so "the" has two pages of results.
	dir := t.TempDir()
	for i := 0; i < 6; i++ {
		text := fmt.Sprintf(" date 2020-01-%02d Extra story %d\n\nThe body of extra story %d.\n", i+1, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("x%d.txt", i)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := corpus.Collect([]string{dir})
	if _, err := ingest.Run(ctx, db, files, ingest.Options{}, func(ingest.Result) {}); err != nil {
		t.Fatal(err)
	}
	first := b.Handle(ctx, cmd("search", "query", "the"))
	next := button(t, first, "Next")
	// A new Bot on the same store (a restart) answers the old button.
	b2 := bot.New(bot.Deps{Articles: db, State: db, Search: fakeSearch{db}, Now: now})
	page2 := b2.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: next})
	if !page2.Update || len(page2.Embeds) == 0 || !strings.Contains(page2.Embeds[0].Footer, "page 2 of 3") {
		t.Fatalf("page 2 after restart:\n%s", bot.RenderText(page2))
	}

	// A query too long for a custom ID is kept in the store.
	long := strings.Repeat("the ", 40)
	resp := b.Handle(ctx, cmd("search", "query", long))
	for _, row := range resp.Components {
		for _, c := range row {
			if len(c.CustomID) > 100 {
				t.Fatalf("custom ID of %d characters: %q", len(c.CustomID), c.CustomID)
			}
		}
	}
	next = button(t, resp, "Next")
	if !strings.HasPrefix(next, "s|1|#") {
		t.Fatalf("long query's button %q should refer to stored state", next)
	}
	if page2 := b2.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: next}); len(page2.Embeds) == 0 || !strings.Contains(page2.Embeds[0].Footer, "page 2") {
		t.Fatalf("stored search page 2:\n%s", bot.RenderText(page2))
	}
	// Thirty-one days later the stored search has expired, gracefully.
	later := bot.New(bot.Deps{Articles: db, State: db, Search: fakeSearch{db}, Now: func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }})
	if r := later.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: next}); !strings.Contains(r.Content, "expired") || !r.Ephemeral {
		t.Fatalf("stale button: %+v", r)
	}
	for _, id := range []string{"s|x|=", "s|1|#nope", "d|-1|2023", "a|zzz|0", "zz|1", "open|0"} {
		r := b.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: id})
		if !strings.HasPrefix(r.Content, "⚠️") || !r.Ephemeral {
			t.Errorf("custom ID %q: %+v", id, r)
		}
	}
}

func button(t *testing.T, r bot.Response, label string) string {
	t.Helper()
	for _, row := range r.Components {
		for _, c := range row {
			if c.Kind == bot.Button && strings.Contains(c.Label, label) && !c.Disabled {
				return c.CustomID
			}
		}
	}
	t.Fatalf("no enabled %q button in:\n%s", label, bot.RenderText(r))
	return ""
}

func TestShareAndPostPermissions(t *testing.T) {
	b, _, d := newBot(t)
	ctx := context.Background()
	open := b.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: "open|0", Values: []string{"ad0293d1ae8f"}})
	share := b.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: button(t, open, "Share"), UserID: "42"})
	if share.Public == nil || !strings.Contains(share.Public.Content, "<@42>") || share.Public.Embeds[0].Title != open.Embeds[0].Title {
		t.Fatalf("share: %+v", share)
	}

	preview := b.Handle(ctx, cmd("digest"))
	if len(preview.Components) != 0 {
		t.Fatalf("a member without Manage Server got a post button")
	}
	req := cmd("digest")
	req.Roles = []string{"editors"}
	preview = b.Handle(ctx, req)
	post := bot.Request{Kind: bot.KindComponent, CustomID: button(t, preview, "Post"), ChannelID: "c"}
	if r := b.Handle(ctx, post); !strings.Contains(r.Content, "Only members with Manage Server") || len(d.posted) != 0 {
		t.Fatalf("post without permission: %+v, posted %v", r, d.posted)
	}
	post.Permissions = bot.PermManageGuild
	if r := b.Handle(ctx, post); !strings.Contains(r.Content, "Posted") || len(d.posted) != 1 || d.posted[0] != "c new 2023-07-04" {
		t.Fatalf("post: %+v, posted %v", r, d.posted)
	}
}

func TestAutocompleteArticle(t *testing.T) {
	b, _, _ := newBot(t)
	ctx := context.Background()
	ask := func(q string) []bot.Choice {
		return b.Handle(ctx, bot.Request{Kind: bot.KindAutocomplete, Command: "article", Focused: "id", Options: map[string]string{"id": q}}).Choices
	}
	if got := ask(""); len(got) != 5 || got[0].Value != "02cbaf57d612" {
		t.Errorf("empty prefix: %+v", got)
	}
	if got := ask("mohe"); len(got) != 1 || got[0].Value != "ad0293d1ae8f" || len(got[0].Name) > 100 {
		t.Errorf("mohe: %+v", got)
	}
	if got := ask("arctic"); len(got) != 1 || got[0].Value != "ad0293d1ae8f" {
		t.Errorf("substring: %+v", got)
	}
	if got := ask("089f"); len(got) != 1 || got[0].Value != "089f788142b9" {
		t.Errorf("ID prefix: %+v", got)
	}
}

func TestBadOptions(t *testing.T) {
	b, _, _ := newBot(t)
	for _, c := range []struct {
		req  bot.Request
		want string
	}{
		{cmd("search", "query", "   "), "Type some words"},
		{cmd("search", "query", strings.Repeat("x", 6000)), "6000 characters"},
		{cmd("search", "query", "a\x00b"), "control characters"},
		{cmd("search", "query", "a\xffb"), "not valid text"},
		{cmd("date", "when", "someday"), "not understood"},
		{cmd("digest", "select", "weekly"), "select must be new, day or on-this-day"},
		{cmd("digest", "date", "2023-07"), "one day"},
	} {
		r := b.Handle(context.Background(), c.req)
		if !r.Ephemeral || !strings.Contains(r.Content, c.want) {
			t.Errorf("%s %v: %q, want it to contain %q", c.req.Command, c.req.Options, r.Content, c.want)
		}
	}
}

func TestConsoleScript(t *testing.T) {
	b, _, _ := newBot(t)
	in := strings.Join([]string{
		"# comments and blank lines are skipped", "",
		"/date when:2023",
		"select 2",
		"click Share",
		"/search party from:2023",
		"complete /article xu",
		"/article AD0293",
		"next", // typed alone: presses Next
		"Prev",
		"click 3",   // the third button: Share
		"/schedule", // the console stands for every channel
		"hello",
		"quit",
		"/help", // after quit: never read
	}, "\n")
	var out bytes.Buffer
	con := &bot.Console{Bot: b, In: strings.NewReader(in), Out: &out, UserID: "7", ChannelID: "console"}
	if err := con.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	golden(t, "console", out.String())
}

func TestObserveOutcomes(t *testing.T) {
	db := testenv.SampleDB(t)
	var seen []string
	b := bot.New(bot.Deps{Articles: db, Now: now, Observe: func(name, outcome string, took time.Duration) {
		seen = append(seen, name+":"+outcome)
	}})
	ctx := context.Background()
	b.Handle(ctx, cmd("help"))
	b.Handle(ctx, cmd("date", "when", "nonsense"))
	b.Handle(ctx, bot.Request{Kind: bot.KindComponent, CustomID: "zz"})
	b.Handle(ctx, bot.Request{Kind: bot.KindAutocomplete, Command: "article", Options: map[string]string{"id": "m"}})
	if got := strings.Join(seen, " "); got != "help:ok date:user_error component:user_error autocomplete:ok" {
		t.Errorf("observed %q", got)
	}
}

func TestAllowedGuilds(t *testing.T) {
	db := testenv.SampleDB(t)
	b := bot.New(bot.Deps{Articles: db, Now: now, AllowedGuilds: []string{"g"}})
	ctx := context.Background()
	if r := b.Handle(ctx, cmd("help")); len(r.Embeds) != 1 {
		t.Errorf("allowed guild refused: %+v", r)
	}
	other := cmd("help")
	other.GuildID = "elsewhere"
	if r := b.Handle(ctx, other); !r.Ephemeral || !strings.Contains(r.Content, "not enabled here") {
		t.Errorf("other guild answered: %+v", r)
	}
	dm := cmd("date", "when", "2023")
	dm.GuildID = ""
	if r := b.Handle(ctx, dm); !strings.Contains(r.Content, "not enabled here") {
		t.Errorf("direct message answered: %+v", r)
	}
}

// Text at and past Discord's limits, and text meant to ping or format,
// comes back inert.
func TestHostileOptionText(t *testing.T) {
	b, _, _ := newBot(t)
	ctx := context.Background()
	for _, q := range []string{
		"@everyone", "@here look", "<@&123> <@456>", "**bold** `code` ||spoiler||",
		"\u202eevil\u202c", "zero\u200bwidth\u200d", "🙂🙃 emoji", strings.Repeat("ש", 200), strings.Repeat("🙂", 6000),
	} {
		for _, req := range []bot.Request{cmd("search", "query", q), cmd("date", "when", q), cmd("article", "id", q)} {
			r := b.Handle(ctx, req)
			text := bot.RenderText(r)
			if strings.Contains(text, "@everyone") || strings.Contains(text, "@here") {
				t.Errorf("/%s %q echoed a live mention:\n%s", req.Command, q, text)
			}
			if len([]rune(r.Content)) > 2000 {
				t.Errorf("/%s: content of %d characters", req.Command, len([]rune(r.Content)))
			}
		}
	}
}

// TestCommandTableAgrees: every registered command is routed (never
// "Unknown command") and listed in /help, and nothing else is.
func TestCommandTableAgrees(t *testing.T) {
	b, _, _ := newBot(t)
	ctx := context.Background()
	help := bot.RenderText(b.Handle(ctx, cmd("help")))
	for _, c := range b.Commands() {
		r := b.Handle(ctx, cmd(c.Name))
		if strings.Contains(r.Content, "Unknown command") {
			t.Errorf("/%s is registered but not routed", c.Name)
		}
		if !strings.Contains(help, "**/"+c.Name+"**") {
			t.Errorf("/%s is registered but not in /help", c.Name)
		}
	}
	if got := strings.Count(help, "**/"); got != len(b.Commands()) {
		t.Errorf("/help lists %d commands, %d are registered", got, len(b.Commands()))
	}
}
