package fakediscord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// HTTP interactions: instead of the gateway, Discord POSTs each interaction
// to the app's Interactions Endpoint URL, signed with Ed25519, and takes
// the HTTP response as the initial response
// (interactions/receiving-and-responding#receiving-an-interaction and
// #security-and-authorization). After SetInteractionsURL, Interact does the
// same: the bot under test verifies with PublicKey.

// SetInteractionsURL makes Interact deliver interactions to the bot's
// HTTP endpoint (on loopback) instead of the gateway; "" goes back to the
// gateway.
func (f *Server) SetInteractionsURL(u string) error {
	if u != "" {
		if err := checkEndpointURL(u); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.interactionsURL = u
	return nil
}

// interactHTTP registers an interaction and posts it to the endpoint.
func (f *Server) interactHTTP(in Interaction) (Sent, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return Sent{}, ErrClosed
	}
	payload, st, err := f.buildInteractionLocked(in)
	if err != nil {
		f.mu.Unlock()
		return Sent{}, err
	}
	db, err := json.Marshal(payload)
	if err != nil {
		f.mu.Unlock()
		return Sent{}, fmt.Errorf("fakediscord: encoding interaction: %w", err)
	}
	f.registerLocked(st, in)
	url := f.interactionsURL
	f.wg.Add(1)
	f.notifyLocked()
	f.mu.Unlock()
	go f.deliverHTTP(st, url, db)
	return Sent{ID: st.id, Token: st.token}, nil
}

// PublicKey is the application's public key as the developer portal shows
// it (64 hex digits): what the bot verifies interaction requests with.
func (f *Server) PublicKey() string { return hex.EncodeToString(f.pub) }

// signedPost sends body to the interactions endpoint, signed as Discord
// signs: Ed25519 over the timestamp followed by the body, in
// X-Signature-Ed25519, with the timestamp (Unix seconds, Options.Clock) in
// X-Signature-Timestamp. badSig signs with another key, as Discord's
// routine security checks do.
func (f *Server) signedPost(ctx context.Context, endpoint string, body []byte, badSig bool) (*http.Response, []byte, error) {
	ts := strconv.FormatInt(f.now().Unix(), 10)
	key := f.priv
	if badSig {
		_, key, _ = ed25519.GenerateKey(nil)
	}
	sig := ed25519.Sign(key, append([]byte(ts), body...))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	req.Header.Set("X-Signature-Timestamp", ts)
	resp, err := f.endpointClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return resp, data, err
}

// PingEndpoint checks the interactions endpoint as Discord does when the
// URL is saved: a PING (type 1) must be answered with a PONG (type 1), and
// a request with a bad signature refused with 401.
func (f *Server) PingEndpoint(ctx context.Context) error {
	f.mu.Lock()
	endpoint := f.interactionsURL
	f.mu.Unlock()
	if endpoint == "" {
		return errors.New("fakediscord: no interactions URL (SetInteractionsURL)")
	}
	ping, _ := json.Marshal(map[string]any{"id": "1", "application_id": f.opts.ApplicationID, "type": 1, "token": randomToken(), "version": 1})
	resp, body, err := f.signedPost(ctx, endpoint, ping, true)
	if err != nil {
		return fmt.Errorf("fakediscord: PING with a bad signature: %w", err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("fakediscord: PING with a bad signature answered %d, want 401", resp.StatusCode)
	}
	resp, body, err = f.signedPost(ctx, endpoint, ping, false)
	if err != nil {
		return fmt.Errorf("fakediscord: PING: %w", err)
	}
	var pong struct {
		Type int `json:"type"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &pong) != nil || pong.Type != CallbackPong {
		return fmt.Errorf("fakediscord: PING answered %d %.200s, want 200 and type 1", resp.StatusCode, body)
	}
	return nil
}

// deliverHTTP posts an interaction to the endpoint and takes the answer as
// its callback, held to the same rules (3-second window, type, limits).
func (f *Server) deliverHTTP(st *interactionState, endpoint string, payload []byte) {
	defer f.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-f.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, body, err := f.signedPost(ctx, endpoint, payload, false)
	if err != nil || resp.StatusCode != http.StatusOK {
		f.mu.Lock()
		cb := Callback{InteractionID: st.id, Token: st.token, Time: f.now(), Status: http.StatusBadGateway,
			Error: fmt.Sprintf("interactions endpoint failed: %v", err)}
		if err == nil {
			cb.Error = fmt.Sprintf("interactions endpoint answered %d: %.200s", resp.StatusCode, body)
		}
		st.callbacks = append(st.callbacks, cb)
		f.notifyLocked()
		f.mu.Unlock()
		return
	}
	req := &http.Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {resp.Header.Get("Content-Type")}}}
	w := &bufWriter{header: http.Header{}}
	f.handleCallback(w, req, &Request{}, st.id, st.token, body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(st.callbacks) == 0 { // refused before it could be recorded: undecodable
		st.callbacks = append(st.callbacks, Callback{InteractionID: st.id, Token: st.token, Raw: body, Time: f.now(),
			Status: w.status, Error: fmt.Sprintf("undecodable answer: %.200s", w.body.String())})
		f.notifyLocked()
	}
}

// endpointHTTPClient reaches only loopback: interactions never leave the
// machine.
func endpointHTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("fakediscord: refusing to dial %s: interactions go to loopback only", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func checkEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("fakediscord: interactions URL %q: want an http URL on 127.0.0.1", s)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("fakediscord: interactions URL %q: loopback only", s)
	}
	return nil
}
