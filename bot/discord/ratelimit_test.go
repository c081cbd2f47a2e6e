package discord_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
)

// TestRESTLimitsFollowDocs holds REST traffic to discord-api-docs
// topics/rate-limits against the strict fake (which fails the test on a
// request during a global rate limit or a Cloudflare ban).
func TestRESTLimitsFollowDocs(t *testing.T) {
	var invalid []int
	h := start(t, fakediscord.Options{InvalidRequestLimit: 12, BanFor: time.Minute},
		discord.Options{InvalidRequestBudget: 8, OnInvalidRequest: func(status int) { invalid = append(invalid, status) },
			Post: discord.PostPolicy{Backoff: 10 * time.Millisecond}})
	ctx := ctxT(t)
	f, ch := h.fake, fakediscord.DefaultChannelID
	h.fake.WaitCommands(ctx, "", 6)

	// A global 429 (Retry-After, X-RateLimit-Global, X-RateLimit-Scope;
	// no Reset-After) on a post holds every other REST call of the bot
	// too: registering commands meanwhile waits for it.
	global := f.RateLimitNext("POST /channels/*/messages", 1, time.Second, true)
	posted := make(chan error, 1)
	go func() {
		_, err := h.tr.Post(ctx, ch, bot.Message{Content: "after a global 429"})
		posted <- err
	}()
	waitHits(ctx, t, global, 1, func() {})
	hit := time.Now()
	time.Sleep(400 * time.Millisecond) // well after the 429 reached the bot
	if err := h.tr.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
	// hit is late by the polling: allow for it.
	if after := time.Since(hit); after < 700*time.Millisecond {
		t.Errorf("commands registered %v after a global 429 asking for 1 s", after)
	}

	// 429s of scope "shared" (a busy resource) are waited out and not
	// counted as invalid requests.
	shared := f.AddFault(fakediscord.Fault{Route: "POST /channels/*/messages", Status: http.StatusTooManyRequests, Scope: "shared", Times: 2, RetryAfter: 20 * time.Millisecond})
	if _, err := h.tr.Post(ctx, ch, bot.Message{Content: "through shared 429s"}); err != nil {
		t.Fatal(err)
	}
	total, _ := h.tr.InvalidRequests()
	if shared.Hits() != 2 || total != 1 || len(invalid) != 1 {
		t.Errorf("after a global and 2 shared 429s: %d invalid requests counted (%v), want 1 (the global)", total, invalid)
	}

	// A Cloudflare ban (429 with an HTML page) is never retried: the post
	// fails at once, and nothing is sent until the ban ends.
	f.AddFault(fakediscord.Fault{Route: "POST /channels/*/messages", CloudflareBan: true, RetryAfter: 2 * time.Second, Times: 1})
	n := len(f.Requests())
	if _, err := h.tr.Post(ctx, ch, bot.Message{Content: "banned"}); !errors.Is(err, discord.ErrBanned) {
		t.Fatalf("post into a Cloudflare ban: %v, want ErrBanned", err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := h.tr.Post(ctx, ch, bot.Message{Content: "still banned"}); !errors.Is(err, discord.ErrBanned) {
		t.Fatalf("post during the ban: %v, want ErrBanned", err)
	}
	if got := len(f.Requests()) - n; got != 1 {
		t.Errorf("%d requests reached Discord during the ban, want 1 (the one banned)", got)
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		if _, err := h.tr.Post(ctx, ch, bot.Message{Content: "after the ban"}); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	// 403s count as invalid requests; the bot stops at its budget (8),
	// far below the fake's limit (12 here, Discord's 10,000), so it is
	// never banned for them.
	f.DenyChannel(ch)
	var err error
	for range 20 {
		if _, err = h.tr.Post(ctx, ch, bot.Message{Content: "x"}); errors.Is(err, discord.ErrInvalidBudget) {
			break
		}
	}
	if !errors.Is(err, discord.ErrInvalidBudget) {
		t.Fatalf("20 forbidden posts: last error %v, want ErrInvalidBudget", err)
	}
	botTotal, botWindow := h.tr.InvalidRequests()
	fakeTotal, _ := f.InvalidRequests()
	t.Logf("invalid requests: bot counted %d (%d in 10 min), the fake %d", botTotal, botWindow, fakeTotal)
	if botTotal != int64(fakeTotal) || botWindow != 8 {
		t.Errorf("bot counted %d invalid requests (%d in the window), the fake %d; want equal, 8 in the window", botTotal, botWindow, fakeTotal)
	}
}

// Two transports of one process (two shards) sharing RESTLimits: a global
// 429 answered to one holds the other's calls too.
func TestSharedRESTLimits(t *testing.T) {
	shared := discord.NewRESTLimits(0, nil)
	h := start(t, fakediscord.Options{}, discord.Options{RESTLimits: shared})
	ctx := ctxT(t)
	other, err := discord.New(bot.New(bot.Deps{Articles: h.db}), discord.Options{Token: "test-token", APIURL: h.fake.URL(),
		AppID: h.fake.ApplicationID(), RESTLimits: shared})
	if err != nil {
		t.Fatal(err)
	}
	global := h.fake.RateLimitNext("POST /channels/*/messages", 1, time.Second, true)
	posted := make(chan error, 1)
	go func() {
		_, err := h.tr.Post(ctx, fakediscord.DefaultChannelID, bot.Message{Content: "shard 0"})
		posted <- err
	}()
	waitHits(ctx, t, global, 1, func() {})
	hit := time.Now()
	time.Sleep(400 * time.Millisecond)
	if err := other.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if after := time.Since(hit); after < 700*time.Millisecond {
		t.Errorf("the other shard registered commands %v after a global 429 asking for 1 s", after)
	}
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
	if total, _ := other.InvalidRequests(); total != 1 {
		t.Errorf("shared invalid-request count %d, want 1", total)
	}
}
