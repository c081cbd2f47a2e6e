package discord

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
)

var clock = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newSigner(t *testing.T) signer {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub, priv}
}

// request builds a POST signed at ts with the signer's key.
func (s signer) request(body string, ts time.Time) *http.Request {
	stamp := fmt.Sprint(ts.Unix())
	r := httptest.NewRequest(http.MethodPost, "/interactions", strings.NewReader(body))
	r.Header.Set("X-Signature-Timestamp", stamp)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.priv, []byte(stamp+body))))
	return r
}

func endpoint(t *testing.T, key ed25519.PublicKey) http.Handler {
	tr, err := New(bot.New(bot.Deps{Now: func() time.Time { return clock }}), Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return tr.InteractionsHandler(key, func() time.Time { return clock })
}

const ping = `{"id":"1","application_id":"2","type":1,"token":"tok","version":1}`

func TestInteractionsEndpointVerifies(t *testing.T) {
	s := newSigner(t)
	other := newSigner(t)
	h := endpoint(t, s.pub)
	tampered := s.request(ping, clock)
	tampered.Body = httpBody(strings.Replace(ping, `"type":1`, `"type":2`, 1))
	noSig := s.request(ping, clock)
	noSig.Header.Del("X-Signature-Ed25519")
	noStamp := s.request(ping, clock)
	noStamp.Header.Del("X-Signature-Timestamp")
	huge := `{"type":1,"pad":"` + strings.Repeat("x", 1<<20) + `"}`

	cases := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"ping", s.request(ping, clock), http.StatusOK},
		{"signed by another key (Discord's probe)", other.request(ping, clock), http.StatusUnauthorized},
		{"tampered body", tampered, http.StatusUnauthorized},
		{"no signature", noSig, http.StatusUnauthorized},
		{"no timestamp", noStamp, http.StatusUnauthorized},
		{"replayed after 6 minutes", s.request(ping, clock.Add(-6*time.Minute)), http.StatusUnauthorized},
		{"from the future", s.request(ping, clock.Add(6*time.Minute)), http.StatusUnauthorized},
		{"4 minutes old", s.request(ping, clock.Add(-4*time.Minute)), http.StatusOK},
		{"over 1 MiB", s.request(huge, clock), http.StatusRequestEntityTooLarge},
		{"GET", httptest.NewRequest(http.MethodGet, "/interactions", nil), http.StatusMethodNotAllowed},
		{"signed garbage", s.request(`{not json`, clock), http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, c.req)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d (body %q)", w.Code, c.status, w.Body.String())
			}
			if c.status == http.StatusOK && strings.TrimSpace(w.Body.String()) != `{"type":1}` {
				t.Errorf("PING answered %q, want PONG", w.Body.String())
			}
			if c.status == http.StatusUnauthorized && strings.Contains(w.Body.String(), "type") {
				t.Errorf("a refused request got an interaction answer: %q", w.Body.String())
			}
		})
	}
}

func TestInteractionsEndpointAnswersCommands(t *testing.T) {
	s := newSigner(t)
	h := endpoint(t, s.pub)
	cmd := `{"id":"10","application_id":"2","type":2,"token":"tok","version":1,"guild_id":"5","channel_id":"6",
		"member":{"user":{"id":"7","username":"ann"},"permissions":"0","roles":[]},"app_permissions":"0",
		"data":{"id":"3","name":"help","type":1}}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, s.request(cmd, clock))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Flags  int `json:"flags"`
			Embeds []struct {
				Title string `json:"title"`
			} `json:"embeds"`
			AllowedMentions struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if resp.Type != 4 || resp.Data.Flags&64 == 0 || len(resp.Data.Embeds) != 1 || resp.Data.Embeds[0].Title != "digestbot" || resp.Data.AllowedMentions.Parse == nil {
		t.Errorf("answer to /help: %s", w.Body)
	}
}

func TestParsePublicKey(t *testing.T) {
	s := newSigner(t)
	if k, err := ParsePublicKey(hex.EncodeToString(s.pub)); err != nil || !bytes.Equal(k, s.pub) {
		t.Errorf("valid key: %v", err)
	}
	for _, bad := range []string{"", "zz", hex.EncodeToString(s.pub)[:10]} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
