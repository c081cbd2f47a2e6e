package discord_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
)

// TestHTTPInteractionsEndToEnd: the fake delivers interactions to the
// bot's HTTP endpoint signed with Ed25519, as Discord does
// (interactions/receiving-and-responding#security-and-authorization), and
// holds the HTTP answers to the same rules as gateway callbacks.
func TestHTTPInteractionsEndToEnd(t *testing.T) {
	h := start(t, fakediscord.Options{}, discord.Options{})
	ctx := ctxT(t)
	f := h.fake
	key, err := discord.ParsePublicKey(f.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.tr.InteractionsHandler(key, time.Now))
	t.Cleanup(srv.Close)
	if err := f.SetInteractionsURL(srv.URL + "/interactions"); err != nil {
		t.Fatal(err)
	}
	if err := f.PingEndpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitCommands(ctx, "", 6); err != nil {
		t.Fatal(err)
	}
	gatewayFrames := len(f.Frames())

	cb, err := f.Exchange(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023")))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != 4 || !cb.Data.Ephemeral() || len(cb.Data.Embeds) != 1 {
		t.Fatalf("/date over HTTP: type %d %+v", cb.Type, cb.Data)
	}
	// The article, with its text attached: a multipart answer.
	open, err := f.Exchange(ctx, fakediscord.Select("open|0", "ad0293d1ae8f"))
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Files) != 1 || !strings.HasPrefix(open.Data.Embeds[0].Title, "Mohe City") {
		t.Fatalf("opened article over HTTP: %+v, %d files", open.Data, len(open.Files))
	}
	next, err := f.Exchange(ctx, fakediscord.Button("a|ad0293d1ae8f|1"))
	if err != nil || next.Type != 7 {
		t.Fatalf("next page over HTTP: %+v, %v", next, err)
	}
	none, err := f.Exchange(ctx, fakediscord.Autocomplete("article", fakediscord.Focused("id", "no title has this")))
	if err != nil || len(none.Data.Choices) != 0 {
		t.Fatalf("autocomplete over HTTP: %+v, %v", none, err)
	}
	// A slow search: deferred in the HTTP answer, then edited in by REST.
	sent, err := f.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatal(err)
	}
	if cb, err := f.WaitCallback(ctx, sent.ID); err != nil || cb.Type != 5 {
		t.Fatalf("slow search over HTTP: %+v, %v", cb, err)
	}
	orig, err := f.WaitOriginal(ctx, sent.ID)
	if err != nil || len(orig.Embeds) != 1 {
		t.Fatalf("edited answer: %+v, %v", orig.Payload, err)
	}
	for _, fr := range f.Frames()[gatewayFrames:] {
		if fr.Type == "INTERACTION_CREATE" {
			t.Errorf("interaction %s went over the gateway", fr.Data)
		}
	}
}
