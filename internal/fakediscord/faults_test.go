package fakediscord_test

import (
	"context"
	"errors"
	"net/http"
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
