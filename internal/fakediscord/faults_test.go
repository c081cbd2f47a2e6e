package fakediscord_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digestbot/digestbot/internal/fakediscord"
)

func TestRateLimitsAndServerErrors(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	ch := fakediscord.DefaultChannelID
	route := "POST /channels/*/messages"

	f.RateLimitNext(route, 2, 20*time.Millisecond, false)
	if _, err := s.ChannelMessageSend(ch, "after 429s"); err != nil {
		t.Fatalf("discordgo did not ride out 429s: %v", err)
	}
	reqs := f.RequestsTo(route)
	if len(reqs) != 3 || reqs[0].Status != 429 || reqs[2].Status != 200 {
		t.Errorf("requests = %+v", reqs)
	}

	f.RateLimitNext("**", 1, 20*time.Millisecond, true)
	if _, err := s.ChannelMessageSend(ch, "after a global 429"); err != nil {
		t.Fatalf("global 429: %v", err)
	}

	f.FailNext(route, 2, http.StatusBadGateway)
	if _, err := s.ChannelMessageSend(ch, "after 502s"); err != nil {
		t.Errorf("discordgo retries 502: %v", err)
	}
	f.FailNext(route, 1, http.StatusInternalServerError)
	var rest *discordgo.RESTError
	if _, err := s.ChannelMessageSend(ch, "500"); !errors.As(err, &rest) || rest.Response.StatusCode != 500 {
		t.Errorf("500: %v", err)
	}

	// The 429 loop is endless; a per-call context is the only bound.
	h := f.AddFault(fakediscord.Fault{Route: route, Status: http.StatusTooManyRequests, RetryAfter: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.ChannelMessageSend(ch, "never", discordgo.WithContext(ctx)); err == nil {
		t.Error("send succeeded through an endless 429")
	}
	if h.Hits() < 2 {
		t.Errorf("only %d 429s before giving up", h.Hits())
	}
	h.Remove()

	f.SlowDown(route, 50*time.Millisecond, 1)
	if _, err := s.ChannelMessageSend(ch, "slow"); err != nil {
		t.Errorf("slow: %v", err)
	}
	if got := f.RequestsTo(route); got[len(got)-1].Fault != "delay" {
		t.Errorf("last request = %+v, want delayed", got[len(got)-1])
	}
}

// FailFor runs on the injected clock: "5xx for a minute" needs no minute.
func TestFailForUsesClockAndDrops(t *testing.T) {
	t.Parallel()
	clock := &fakediscord.ManualClock{T: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	opts := fastOpts()
	opts.Clock = clock.Now
	f := fakediscord.StartT(t, opts)
	s := session(t, f, "tok")
	ch := fakediscord.DefaultChannelID
	f.FailFor("POST /channels/*/messages", time.Minute, http.StatusServiceUnavailable)
	var rest *discordgo.RESTError
	for range 3 {
		if _, err := s.ChannelMessageSend(ch, "x"); !errors.As(err, &rest) || rest.Response.StatusCode != 503 {
			t.Fatalf("during the outage: %v", err)
		}
	}
	clock.Advance(time.Minute)
	if _, err := s.ChannelMessageSend(ch, "x"); err != nil {
		t.Fatalf("after the outage: %v", err)
	}

	f.AddFault(fakediscord.Fault{Route: "POST /channels/*/messages", Drop: true, Times: 1})
	if _, err := s.ChannelMessageSend(ch, "x"); err == nil || errors.As(err, &rest) {
		t.Errorf("dropped connection: err = %v, want a transport error", err)
	}
	if _, err := s.ChannelMessageSend(ch, "x"); err != nil {
		t.Errorf("after the drop: %v", err)
	}
	if n := len(f.Messages(ch)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestRouteLimitPacesDiscordgo(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	f.LimitRoute("POST /channels/*/messages", 2, 150*time.Millisecond)
	for i := range 5 {
		if _, err := s.ChannelMessageSend(fakediscord.DefaultChannelID, "m"); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	for _, r := range f.RequestsTo("POST /channels/*/messages") {
		if r.Status == 429 {
			t.Errorf("discordgo ignored X-RateLimit-Remaining and hit a 429: %+v", r)
		}
	}
}

func TestGatewayFaults(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	s.AddHandler(answer(t))
	open(t, f, s)
	register(t, f, s)
	ctx := testCtx(t)
	ask := func(what string) {
		t.Helper()
		if _, err := f.Exchange(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", what))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// untilSent applies a fault once a live connection takes it.
	untilSent := func(fault func() int) {
		t.Helper()
		for {
			if err := f.WaitSession(ctx); err != nil {
				t.Fatal(err)
			}
			if fault() > 0 {
				return
			}
		}
	}
	waitResumes := func(n int) {
		t.Helper()
		if _, err := f.WaitFrames(ctx, true, 6, "", n); err != nil {
			t.Fatal(err)
		}
	}

	// Dropped TCP: discordgo reconnects and resumes; a dispatch sent
	// meanwhile is replayed.
	untilSent(f.DropGateway)
	sent, err := f.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "during drop")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitCallback(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	waitResumes(1)

	// op 7: reconnect and resume.
	untilSent(f.Reconnect)
	waitResumes(2)
	ask("after op 7")

	// op 9 not resumable: discordgo identifies again, on a new session.
	before := f.GatewayStats().SessionID
	untilSent(func() int { return f.InvalidateSession(false) })
	if _, err := f.WaitFrames(ctx, true, 2, "", 2); err != nil {
		t.Fatal(err)
	}
	ask("after op 9")
	if st := f.GatewayStats(); st.SessionID == before {
		t.Errorf("after op 9 the session is still %s", before)
	}

	// A close code: discordgo reconnects and resumes.
	resumes := len(framesFromBot(f, 6))
	untilSent(func() int { return f.CloseGateway(fakediscord.CloseUnknownError, "Unknown error.") })
	waitResumes(resumes + 1)
	ask("after close 4000")
	if err := f.WaitSession(ctx); err != nil {
		t.Fatal(err)
	}
}

func framesFromBot(f *fakediscord.Server, op int) []fakediscord.Frame {
	var out []fakediscord.Frame
	for _, fr := range f.Frames() {
		if fr.FromBot && fr.Op == op {
			out = append(out, fr)
		}
	}
	return out
}

// Without heartbeat ACKs discordgo declares the connection a zombie after
// five intervals, reconnects and resumes.
func TestMissingHeartbeatAcks(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fakediscord.Options{HeartbeatInterval: 100 * time.Millisecond})
	s := session(t, f, "tok")
	open(t, f, s)
	ctx := testCtx(t)
	f.SetHeartbeatAcks(false)
	if _, err := f.WaitFrames(ctx, true, 6, "", 1); err != nil {
		t.Fatal(err)
	}
	f.SetHeartbeatAcks(true)
	if err := f.WaitSession(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Dispatch(ctx, "TYPING_START", map[string]any{"channel_id": fakediscord.DefaultChannelID, "user_id": "1", "timestamp": 0}); err != nil {
		t.Fatal(err)
	}
}

// After a close code such as 4004 on every handshake, discordgo retries
// forever with a doubling wait; here it gets through once the fake relents.
func TestRejectedHandshakesRetried(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	open(t, f, s)
	ctx := testCtx(t)
	f.RejectHandshakes(fakediscord.CloseAuthenticationFailed, "Authentication failed.")
	f.DropGateway()
	if _, err := f.WaitFrames(ctx, true, 6, "", 2); err != nil {
		t.Fatal(err)
	}
	f.RejectHandshakes(0, "")
	if err := f.WaitSession(ctx); err != nil {
		t.Fatal(err)
	}
	closes := 0
	for _, fr := range f.Frames() {
		if fr.Type == "CLOSE" && strings.Contains(string(fr.Data), "4004") {
			closes++
		}
	}
	if closes < 2 {
		t.Errorf("%d handshakes closed with 4004, want 2 or more", closes)
	}
}
