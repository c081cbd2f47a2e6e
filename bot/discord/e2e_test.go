package discord_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// slowSearch answers after a delay: the bot must defer and follow up.
type slowSearch struct {
	delay time.Duration
	db    *store.DB
}

func (s slowSearch) Search(ctx context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return bot.SearchResult{}, ctx.Err()
	}
	all, err := s.db.All(ctx)
	if err != nil {
		return bot.SearchResult{}, err
	}
	var res bot.SearchResult
	for _, a := range all {
		if strings.Contains(strings.ToLower(a.Body), strings.ToLower(q.Text)) {
			res.Hits = append(res.Hits, bot.SearchHit{ID: a.ID, Title: a.Title, Date: a.Date, Snippet: q.Text})
		}
	}
	res.Total = len(res.Hits)
	return res, nil
}

type harness struct {
	fake *fakediscord.Server
	tr   *discord.Transport
	db   *store.DB
}

func start(t *testing.T, fopts fakediscord.Options, dopts discord.Options) harness {
	t.Helper()
	fake := fakediscord.StartT(t, fopts)
	db := testenv.SampleDB(t)
	b := bot.New(bot.Deps{Articles: db, State: db, Search: slowSearch{delay: 300 * time.Millisecond, db: db},
		Now: func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) }})
	if dopts.Token == "" {
		dopts.Token = "test-token"
	}
	dopts.APIURL = fake.URL()
	if dopts.DeferAfter == 0 {
		dopts.DeferAfter = 100 * time.Millisecond
	}
	dopts.ReconnectMin, dopts.ReconnectMax = 50*time.Millisecond, 200*time.Millisecond
	tr, err := discord.New(b, dopts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tr.Close(ctx)
	})
	return harness{fake, tr, db}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEndToEndCommands(t *testing.T) {
	h := start(t, fakediscord.Options{}, discord.Options{})
	ctx := ctxT(t)

	cmds, err := h.fake.WaitCommands(ctx, "", 6)
	if err != nil {
		t.Fatalf("commands not registered globally: %v", err)
	}
	names := map[string]bool{}
	for _, c := range cmds {
		names[c.Name] = true
	}
	for _, n := range []string{"search", "date", "article", "digest", "schedule", "help"} {
		if !names[n] {
			t.Errorf("command /%s not registered", n)
		}
	}

	// /date answers at once, privately, with a menu to open an article.
	cb, err := h.fake.Exchange(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023")))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != 4 || !cb.Data.Ephemeral() || len(cb.Data.Embeds) != 1 || !strings.Contains(cb.Data.Embeds[0].Title, "dated in 2023") {
		t.Fatalf("/date callback: type %d %+v", cb.Type, cb.Data)
	}
	// Open the Mohe article from the menu.
	open, err := h.fake.Exchange(ctx, fakediscord.Select("open|0", "ad0293d1ae8f"))
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Data.Embeds) != 1 || !strings.HasPrefix(open.Data.Embeds[0].Title, "Mohe City") || len(open.Files) != 1 {
		t.Fatalf("opened article: %+v, %d files", open.Data, len(open.Files))
	}
	// Its Next button pages through the text, editing the message.
	next, err := h.fake.Exchange(ctx, fakediscord.Button("a|ad0293d1ae8f|1"))
	if err != nil {
		t.Fatal(err)
	}
	if next.Type != 7 || !strings.Contains(next.Data.Embeds[0].Footer.Text, "Page 2 of 2") {
		t.Fatalf("next page: type %d, %+v", next.Type, next.Data.Embeds)
	}

	// Autocomplete on titles.
	ac, err := h.fake.Exchange(ctx, fakediscord.Autocomplete("article", fakediscord.Focused("id", "mohe")))
	if err != nil {
		t.Fatal(err)
	}
	if ac.Type != 8 || len(ac.Data.Choices) != 1 {
		t.Fatalf("autocomplete: type %d, %+v", ac.Type, ac.Data.Choices)
	}

	// A slow search is deferred, then edited in.
	sent, err := h.fake.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatal(err)
	}
	cb, err = h.fake.WaitCallback(ctx, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != 5 || !cb.Data.Ephemeral() {
		t.Fatalf("slow search: callback type %d, want a private deferral (5)", cb.Type)
	}
	orig, err := h.fake.WaitOriginal(ctx, sent.ID)
	for err == nil && orig.Pending {
		orig, err = h.fake.WaitOriginal(ctx, sent.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(orig.Embeds) != 1 || !strings.Contains(orig.Embeds[0].Fields[0].Name, "Mohe City") {
		t.Fatalf("edited answer: %+v", orig.Payload)
	}

	// A bad option is a private error, echoing nothing that pings.
	bad, err := h.fake.Exchange(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023-02-30")))
	if err != nil {
		t.Fatal(err)
	}
	if !bad.Data.Ephemeral() || !strings.Contains(bad.Data.Content, "no day 30") || bad.Data.AllowedMentions == nil {
		t.Fatalf("bad date: %+v", bad.Data)
	}
}

func TestEndToEndPostsAndRecovers(t *testing.T) {
	h := start(t, fakediscord.Options{}, discord.Options{Post: discord.PostPolicy{Backoff: 10 * time.Millisecond}})
	ctx := ctxT(t)
	ch := fakediscord.DefaultChannelID

	// A 429 on the route is waited out; the message is posted once.
	h.fake.RateLimitNext("POST /channels/*/messages", 1, 50*time.Millisecond, false)
	id, err := h.tr.Post(ctx, ch, bot.Message{Content: "digest", Nonce: "morning:2023-07-04"})
	if err != nil {
		t.Fatal(err)
	}
	// A repeat with the same nonce (a restart between post and record)
	// gives back the same message.
	id2, err := h.tr.Post(ctx, ch, bot.Message{Content: "digest", Nonce: "morning:2023-07-04"})
	if err != nil || id2 != id {
		t.Fatalf("repeat post: %q %v, want the original %q", id2, err, id)
	}
	if msgs := h.fake.Messages(ch); countPosts(msgs) != 1 {
		t.Fatalf("%d channel posts, want 1", countPosts(msgs))
	}

	// A channel the bot may not post in fails at once.
	h.fake.DenyChannel(ch)
	if _, err := h.tr.Post(ctx, ch, bot.Message{Content: "x"}); !errors.Is(err, discord.ErrForbidden) {
		t.Fatalf("denied channel: %v", err)
	}
	h.fake.RestoreChannel(ch)

	// The websocket drops; the bot reconnects and keeps answering.
	h.fake.DropGateway()
	cb, err := h.fake.Exchange(ctx, fakediscord.SlashCommand("help"))
	if err != nil {
		t.Fatalf("after a dropped gateway: %v", err)
	}
	if len(cb.Data.Embeds) != 1 {
		t.Fatalf("help after reconnect: %+v", cb.Data)
	}
	// Connection state follows events handled on other goroutines: allow
	// it a moment to settle.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if up, _ := h.tr.Connected(); up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("transport reports the gateway down after it answered")
		}
	}
}

func countPosts(msgs []fakediscord.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == fakediscord.KindChannelMessage && !m.Deleted {
			n++
		}
	}
	return n
}

func TestEndToEndRejectedTokenStops(t *testing.T) {
	h := start(t, fakediscord.Options{}, discord.Options{})
	// The token is reset: every new handshake is refused with 4004. The bot
	// must give up rather than reconnect forever.
	h.fake.RejectHandshakes(4004, "Authentication failed.")
	h.fake.DropGateway()
	select {
	case err := <-h.tr.Fatal():
		if !strings.Contains(err.Error(), "4004") {
			t.Errorf("fatal error %q does not name the close code", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still reconnecting after Discord rejected the token")
	}
}
