package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// rewriter sends discord.com requests to another server. discordgo's
// endpoints are package variables fixed at init; rather than reassign them
// (global state), the HTTP client rewrites each request's scheme and host.
// With a gateway URL set, it also answers discordgo's "which gateway?"
// request with it.
type rewriter struct {
	next    http.RoundTripper
	api     *url.URL // nil: leave requests alone
	gateway string
}

func newRewriter(next http.RoundTripper, apiURL, gatewayURL string) (*rewriter, error) {
	if next == nil {
		next = http.DefaultTransport
	}
	r := &rewriter{next: next, gateway: gatewayURL}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("discord.api_url %q: want an http(s) URL such as http://127.0.0.1:8080", apiURL)
		}
		r.api = u
	}
	if gatewayURL != "" {
		u, err := url.Parse(gatewayURL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return nil, fmt.Errorf("discord.gateway_url %q: want a ws(s) URL such as ws://127.0.0.1:8080/gateway", gatewayURL)
		}
	}
	return r, nil
}

func (r *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.gateway != "" && req.Method == http.MethodGet && (strings.HasSuffix(req.URL.Path, "/gateway") || strings.HasSuffix(req.URL.Path, "/gateway/bot")) {
		body, _ := json.Marshal(map[string]any{"url": r.gateway, "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
	}
	if r.api != nil && strings.HasSuffix(req.URL.Host, "discord.com") {
		req = req.Clone(req.Context())
		req.URL.Scheme = r.api.Scheme
		req.URL.Host = r.api.Host
		req.Host = r.api.Host
	}
	return r.next.RoundTrip(req)
}
