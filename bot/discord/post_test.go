package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
)

// scripted is an HTTP server that answers channel posts from a script of
// status codes, recording each body.
type scripted struct {
	mu     sync.Mutex
	script []int
	bodies []map[string]any
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	s.bodies = append(s.bodies, body)
	status := http.StatusOK
	if len(s.script) > 0 {
		status, s.script = s.script[0], s.script[1:]
	}
	w.Header().Set("Content-Type", "application/json")
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"message":"You are being rate limited.","retry_after":2.5,"global":false}`)
	case http.StatusOK:
		fmt.Fprintf(w, `{"id":"%d","channel_id":"c1"}`, 1000+len(s.bodies))
	case http.StatusForbidden:
		w.WriteHeader(status)
		fmt.Fprint(w, `{"message":"Missing Permissions","code":50013}`)
	default:
		w.WriteHeader(status)
		fmt.Fprint(w, `{"message":"oops","code":0}`)
	}
}

func newTestTransport(t *testing.T, h http.Handler, waits *[]time.Duration) *Transport {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr, err := New(bot.New(bot.Deps{}), Options{Token: "test", APIURL: srv.URL, Post: PostPolicy{
		Attempts: 4,
		Sleep: func(_ context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			return nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestPostRetriesThenSucceeds(t *testing.T) {
	srv := &scripted{script: []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusOK}}
	var waits []time.Duration
	tr := newTestTransport(t, srv, &waits)
	id, err := tr.Post(context.Background(), "c1", bot.Message{Content: "hello @everyone", Nonce: "digest:morning:2024-07-03T08:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if id != "1004" {
		t.Errorf("id = %q, want the fourth attempt's 1004", id)
	}
	want := []time.Duration{2500 * time.Millisecond, time.Second, 2 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (retry_after, then doubling backoff)", waits, want)
	}
	first := srv.bodies[0]
	nonce, _ := first["nonce"].(string)
	if len(nonce) != 25 || first["enforce_nonce"] != true {
		t.Errorf("nonce %q enforce_nonce %v: want a 25-character nonce, enforced", nonce, first["enforce_nonce"])
	}
	for _, b := range srv.bodies {
		if b["nonce"] != nonce {
			t.Errorf("retry changed the nonce: %v", b["nonce"])
		}
		am, _ := b["allowed_mentions"].(map[string]any)
		if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
			t.Errorf("allowed_mentions = %v, want parse: []", b["allowed_mentions"])
		}
	}
}

func TestPostGivesUp(t *testing.T) {
	for _, c := range []struct {
		name      string
		script    []int
		tries     int
		forbidden bool
	}{
		{"missing permissions", []int{http.StatusForbidden}, 1, true},
		{"unknown channel", []int{http.StatusNotFound}, 1, true},
		{"bad request", []int{http.StatusBadRequest}, 1, false},
		{"5xx forever", []int{500, 500, 500, 500, 500}, 4, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &scripted{script: c.script}
			var waits []time.Duration
			tr := newTestTransport(t, srv, &waits)
			_, err := tr.Post(context.Background(), "c1", bot.Message{Content: "x"})
			if err == nil {
				t.Fatal("no error")
			}
			if len(srv.bodies) != c.tries {
				t.Errorf("%d requests, want %d", len(srv.bodies), c.tries)
			}
			if errors.Is(err, ErrForbidden) != c.forbidden {
				t.Errorf("errors.Is(err, ErrForbidden) = %v for %v", !c.forbidden, err)
			}
			if !strings.Contains(err.Error(), "channel c1") {
				t.Errorf("error %q does not name the channel", err)
			}
		})
	}
}

func TestNonce(t *testing.T) {
	if Nonce("short") != "short" {
		t.Error("a short key is its own nonce")
	}
	a, b := Nonce("digest:morning:2024-07-03T08:00:00Z#1"), Nonce("digest:morning:2024-07-03T08:00:00Z#2")
	if len(a) != 25 || a == b {
		t.Errorf("nonces %q %q: want 25 characters, distinct", a, b)
	}
}
