package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// FuzzInteraction decodes arbitrary interaction payloads the way both
// transports do and runs what decodes through the bot: nothing may panic,
// and every answer must fit Discord's limits and never ping anyone.
func FuzzInteraction(f *testing.F) {
	seeds := []string{
		`{"id":"1","application_id":"2","type":2,"token":"t","version":1,"guild_id":"5","channel_id":"6","member":{"user":{"id":"7","username":"a"},"permissions":"32"},"app_permissions":"0","data":{"id":"3","name":"search","type":1,"options":[{"name":"query","type":3,"value":"border police"}]}}`,
		`{"id":"1","type":2,"token":"t","data":{"name":"date","options":[{"name":"when","type":3,"value":"2023-02-30"}]}}`,
		`{"id":"1","type":3,"token":"t","data":{"custom_id":"s|1|={\"q\":\"x\"}","component_type":2}}`,
		`{"id":"1","type":3,"token":"t","data":{"custom_id":"open|0","component_type":3,"values":["zzz"]}}`,
		`{"id":"1","type":4,"token":"t","data":{"name":"article","options":[{"name":"id","type":3,"value":"mo","focused":true}]}}`,
		`{"id":"1","type":2,"token":"t","data":{"name":"search","options":[{"name":"query","type":3,"value":"@everyone <@&1> \u202e\u200b🙂 **x**"}]}}`,
		`{"id":"1","type":2,"token":"t","data":{"name":"date","options":[{"name":"when","type":3,"value":"@everyone"}]}}`,
		`{"type":1}`, `{"type":2,"data":null}`, `{"type":2,"data":{"options":[{"value":1e400}]}}`, `[]`, `null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	b := bot.New(bot.Deps{Articles: emptyArticles{}})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in discordgo.Interaction
		if json.Unmarshal(data, &in) != nil {
			return
		}
		req, err := request(&discordgo.InteractionCreate{Interaction: &in}, func(string, string) string { return "" })
		if err != nil {
			return
		}
		resp := b.Handle(context.Background(), req)
		ir := response(req, resp)
		if ir.Data.AllowedMentions == nil || len(ir.Data.AllowedMentions.Parse) != 0 {
			t.Fatal("a response that may ping")
		}
		if n := bot.Len(ir.Data.Content); n > 2000 {
			t.Fatalf("content of %d characters", n)
		}
		if strings.Contains(ir.Data.Content, "@everyone") || strings.Contains(ir.Data.Content, "@here") {
			t.Fatalf("mention echoed unescaped: %q", ir.Data.Content)
		}
		for _, e := range ir.Data.Embeds {
			if bot.Len(e.Title) > 256 || bot.Len(e.Description) > 4096 {
				t.Fatalf("embed over Discord's limits: %d/%d", bot.Len(e.Title), bot.Len(e.Description))
			}
		}
		for _, c := range resp.Components {
			for _, comp := range c {
				if bot.Len(comp.CustomID) > 100 || len(comp.CustomID) > 400 {
					t.Fatalf("custom ID of %d characters", len(comp.CustomID))
				}
			}
		}
	})
}

// FuzzRateLimitAnswer feeds arbitrary 429 answers (headers and body) to
// the REST gate: nothing may panic, no pause may be negative, an answer
// that is not JSON is always a Cloudflare ban (never retried), and a
// "shared" one is never counted as invalid.
func FuzzRateLimitAnswer(f *testing.F) {
	f.Add("application/json", "1", "true", "global", []byte(`{"message":"You are being rate limited.","retry_after":0.5,"global":true}`))
	f.Add("application/json", "65", "", "user", []byte(`{"retry_after":64.57,"global":false}`))
	f.Add("application/json", "1337", "", "shared", []byte(`{"retry_after":1336.57}`))
	f.Add("text/html; charset=UTF-8", "", "", "", []byte("<!DOCTYPE html><h1>Error 1015</h1>"))
	f.Add("application/json", "-5", "true", "", []byte(`{"retry_after":-1e308}`))
	f.Add("", "NaN", "yes", "global", []byte(`{"retry_after":"soon"}`))
	f.Add("application/json", "1e308", "true", "global", []byte(`{"retry_after":1e308}`))
	f.Fuzz(func(t *testing.T, ct, retry, global, scope string, body []byte) {
		g := &restGate{next: http.DefaultTransport, RESTLimits: NewRESTLimits(0, nil)}
		h := http.Header{}
		for k, v := range map[string]string{"Content-Type": ct, "Retry-After": retry, "X-RateLimit-Global": global, "X-RateLimit-Scope": scope} {
			if v != "" {
				h.Set(k, v)
			}
		}
		resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: io.NopCloser(bytes.NewReader(body))}
		out, err := g.tooMany(resp)
		mt, _, _ := mime.ParseMediaType(ct)
		switch {
		case mt != "application/json":
			if !errors.Is(err, ErrBanned) || out != nil {
				t.Fatalf("content type %q: %v, want ErrBanned", ct, err)
			}
		case err != nil:
			t.Fatalf("JSON 429: %v", err)
		}
		if w := retryAfter(h, body); w < 0 || w > 24*time.Hour {
			t.Fatalf("retry after %v", w)
		}
		if wait := time.Until(g.globalUntil); wait > 0 && !(global == "true" || scope == "global") {
			t.Fatalf("a global pause of %v from a non-global 429", wait)
		}
		if scope == "shared" && g.total != 0 {
			t.Fatal("a shared 429 counted as invalid")
		}
	})
}

// emptyArticles is an archive with nothing in it.
type emptyArticles struct{}

func (emptyArticles) Article(_ context.Context, id string) (corpus.Article, error) {
	return corpus.Article{}, fmt.Errorf("article %q: %w", id, store.ErrNotFound)
}
func (emptyArticles) Between(context.Context, time.Time, time.Time) ([]corpus.Article, error) {
	return nil, nil
}
func (emptyArticles) Headers(context.Context) ([]corpus.Article, error) { return nil, nil }
func (emptyArticles) LastSeq(context.Context) (uint64, error)           { return 0, nil }
