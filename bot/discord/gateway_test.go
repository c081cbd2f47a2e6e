package discord_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
)

// TestGatewayFollowsDocs holds the gateway client to discord-api-docs
// topics/gateway against the strict fake (which fails the test on any
// violation it records): a zombie connection is closed with a code that
// keeps the session (not 1000/1001) and resumed on READY's
// resume_gateway_url; the first heartbeat of each connection waits a random
// part of the interval; op 9 with d false is answered on a new connection.
func TestGatewayFollowsDocs(t *testing.T) {
	h := start(t, fakediscord.Options{HeartbeatInterval: 200 * time.Millisecond, CallbackDeadline: -1}, discord.Options{})
	ctx := ctxT(t)
	f := h.fake

	// Zombie: ACKs stop; the bot gives up at its next heartbeat and resumes.
	f.SetHeartbeatAcks(false)
	if _, err := f.WaitFrames(ctx, true, 6, "", 1); err != nil {
		t.Fatal(err)
	}
	f.SetHeartbeatAcks(true)
	if err := f.WaitSession(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Exchange(ctx, fakediscord.SlashCommand("help")); err != nil {
		t.Fatalf("after a zombie connection: %v", err)
	}
	closes := 0
	for _, fr := range f.Frames() {
		if fr.FromBot && fr.Type == "CLOSE" {
			closes++
			var c struct{ Code int }
			json.Unmarshal(fr.Data, &c)
			if c.Code == 1000 || c.Code == 1001 {
				t.Errorf("the bot closed with %d, ending the session it meant to resume", c.Code)
			}
		}
	}
	if closes == 0 {
		t.Error("the bot did not close the zombie connection")
	}
	if len(f.RequestsTo("GET /resume")) == 0 {
		t.Error("the bot did not resume on resume_gateway_url")
	}

	// More connections: drops (resumed) and op 9 (identified anew).
	for i := range 6 {
		before := f.GatewayStats()
		for {
			if err := f.WaitSession(ctx); err != nil {
				t.Fatal(err)
			}
			n := 0
			if i%2 == 0 {
				n = f.DropGateway()
			} else {
				n = f.InvalidateSession(false)
			}
			if n > 0 {
				break
			}
		}
		if err := f.WaitHandshakes(ctx, before.Handshakes+1); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 && f.GatewayStats().Identifies != before.Identifies+1 {
			t.Errorf("op 9 d=false: %d identifies, want 1", f.GatewayStats().Identifies-before.Identifies)
		}
		// Let the new connection send its first heartbeat (at most one
		// interval away).
		for n := len(f.HeartbeatJitters()); len(f.HeartbeatJitters()) == n && ctx.Err() == nil; {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := f.Exchange(ctx, fakediscord.SlashCommand("help")); err != nil {
		t.Fatal(err)
	}

	// Closed by Discord with 4000 the session resumes; with 4009 (session
	// timed out) a new one starts (topics/opcodes-and-status-codes).
	for _, c := range []struct {
		code   int
		resume bool
	}{{fakediscord.CloseUnknownError, true}, {fakediscord.CloseSessionTimedOut, false}} {
		before := f.GatewayStats()
		if err := f.WaitSession(ctx); err != nil {
			t.Fatal(err)
		}
		f.CloseGateway(c.code, "closed by the test")
		if err := f.WaitHandshakes(ctx, before.Handshakes+1); err != nil {
			t.Fatal(err)
		}
		after := f.GatewayStats()
		if resumed := after.Resumes == before.Resumes+1 && after.Identifies == before.Identifies; resumed != c.resume {
			t.Errorf("closed with %d: %d resumes, %d identifies; want resumed %v", c.code,
				after.Resumes-before.Resumes, after.Identifies-before.Identifies, c.resume)
		}
	}
	if _, err := f.Exchange(ctx, fakediscord.SlashCommand("help")); err != nil {
		t.Fatal(err)
	}
	// Each connection's first heartbeat came after a random part of the
	// interval: not all at once (discordgo sends it at once).
	jit := f.HeartbeatJitters()
	spread := 0
	for _, j := range jit {
		if j >= 0.05 {
			spread++
		}
	}
	t.Logf("first-heartbeat jitters: %.3f", jit)
	if len(jit) < 4 || spread == 0 {
		t.Errorf("first heartbeats at %v of the interval: no jitter", jit)
	}
}
