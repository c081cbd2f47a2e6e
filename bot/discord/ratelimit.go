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
	"strconv"
	"strings"
	"sync"
	"time"
)

// Discord's limits on a client's REST traffic (discord-api-docs
// topics/rate-limits).
const (
	// invalidWindow is the span of the invalid-request limit: 10,000
	// 401/403/429 answers per 10 minutes get the IP banned by Cloudflare
	// (#invalid-request-limit-aka-cloudflare-bans).
	invalidWindow = 10 * time.Minute
	// defaultInvalidBudget is how many invalid requests per window we allow
	// ourselves before refusing to send more: a tenth of Discord's limit.
	defaultInvalidBudget = 1000
	// defaultBanPause is how long to stop every request after a Cloudflare
	// ban that does not say how long it lasts.
	defaultBanPause = 10 * time.Minute
)

// ErrBanned means Discord's Cloudflare front refused us (a 429 with an HTML
// body: too many invalid requests from this IP). Retrying only extends
// the ban, so nothing is sent until it ends.
var ErrBanned = errors.New("discord: temporarily banned by Cloudflare (too many invalid requests)")

// ErrInvalidBudget means the bot had so many 401/403/429 answers in the
// last 10 minutes that it stopped sending, well before Discord's ban.
var ErrInvalidBudget = errors.New("discord: too many invalid requests in 10 minutes; holding off")

// RESTLimits is the state of Discord's limits on a process's REST traffic:
// a global rate limit, a Cloudflare ban, the invalid requests of the last
// 10 minutes. Discord applies them per bot and per IP, so the transports of
// one process (the shards of one bot) share one (Options.RESTLimits).
type RESTLimits struct {
	budget int
	// onInvalid is told of each invalid request (status 401, 403 or 429).
	onInvalid func(status int)

	mu          sync.Mutex
	globalUntil time.Time
	bannedUntil time.Time
	invalid     []time.Time // invalid requests of the last window, oldest first
	total       int64
}

// NewRESTLimits returns limits that stop sending at budget invalid
// requests in 10 minutes (≤ 0: 1000, a tenth of Discord's ban threshold)
// and tell onInvalid (if not nil) of each.
func NewRESTLimits(budget int, onInvalid func(status int)) *RESTLimits {
	if budget <= 0 {
		budget = defaultInvalidBudget
	}
	return &RESTLimits{budget: budget, onInvalid: onInvalid}
}

// InvalidRequests reports the 401, 403 and 429 answers (429s of scope
// "shared" excepted) since start and within the last 10 minutes.
func (g *RESTLimits) InvalidRequests() (total int64, last10m int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total, g.inWindowLocked(time.Now())
}

// restGate is the HTTP transport under discordgo: it pauses every REST call
// of the process during a global rate limit, which discordgo does only when
// the 429 carries X-RateLimit-Reset-After (Discord's global 429s do not);
// stops everything during a Cloudflare ban; and counts invalid requests.
type restGate struct {
	next http.RoundTripper
	*RESTLimits
}

// interactionEndpoint reports whether path is an interaction endpoint
// (callback, follow-ups, original response): "not bound to the bot's
// Global Rate Limit" (topics/rate-limits#global-rate-limit).
func interactionEndpoint(path string) bool {
	i := strings.Index(path, "/interactions/")
	if i >= 0 && strings.HasSuffix(path, "/callback") {
		return true
	}
	// /webhooks/{application.id}/{interaction.token}[/messages/...]
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for j, s := range seg {
		if s == "webhooks" && len(seg) > j+2 {
			return true
		}
	}
	return false
}

func (g *restGate) RoundTrip(req *http.Request) (*http.Response, error) {
	exempt := interactionEndpoint(req.URL.Path)
	if err := g.admit(req.Context(), exempt); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		g.count(resp.StatusCode)
	case http.StatusTooManyRequests:
		return g.tooMany(resp)
	}
	return resp, nil
}

// admit waits out a global rate limit (unless exempt) and refuses during a
// ban or over the invalid-request budget.
func (g *RESTLimits) admit(ctx context.Context, exempt bool) error {
	for {
		g.mu.Lock()
		now := time.Now()
		banned, global := g.bannedUntil, g.globalUntil
		over := g.budget > 0 && g.inWindowLocked(now) >= g.budget
		g.mu.Unlock()
		if now.Before(banned) {
			return fmt.Errorf("%w until %s", ErrBanned, banned.UTC().Format(time.TimeOnly))
		}
		if over {
			return ErrInvalidBudget
		}
		if exempt || !now.Before(global) {
			return nil
		}
		if err := sleep(ctx, global.Sub(now)); err != nil {
			return fmt.Errorf("waiting out Discord's global rate limit: %w", err)
		}
	}
}

// tooMany handles a 429: a Cloudflare ban (HTML body) stops everything and
// is never retried; a global one pauses every request; one with scope
// "shared" (a busy resource) does not count against us.
func (g *restGate) tooMany(resp *http.Response) (*http.Response, error) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	wait := retryAfter(resp.Header, body)
	scope := resp.Header.Get("X-RateLimit-Scope")
	if scope != "shared" {
		g.count(resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		// topics/rate-limits#invalid-request-limit-aka-cloudflare-bans
		if wait <= 0 {
			wait = defaultBanPause
		}
		until := time.Now().Add(wait)
		g.mu.Lock()
		g.bannedUntil = until
		g.mu.Unlock()
		return nil, fmt.Errorf("%w until %s", ErrBanned, until.UTC().Format(time.TimeOnly))
	}
	if resp.Header.Get("X-RateLimit-Global") == "true" || scope == "global" {
		// topics/rate-limits#global-rate-limit
		g.mu.Lock()
		if until := time.Now().Add(max(wait, 0)); until.After(g.globalUntil) {
			g.globalUntil = until
		}
		g.mu.Unlock()
	}
	return resp, nil
}

// retryAfter is how long a 429 asks to wait: the body's retry_after
// (seconds, with decimals), else the Retry-After header (whole seconds).
// Absurd values are capped at a day.
func retryAfter(h http.Header, body []byte) time.Duration {
	secs := func(s float64) time.Duration {
		return time.Duration(min(s, 86400) * float64(time.Second))
	}
	var b struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &b) == nil && b.RetryAfter != nil && *b.RetryAfter >= 0 {
		return secs(*b.RetryAfter)
	}
	if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s >= 0 {
		return secs(s)
	}
	return 0
}

func (g *RESTLimits) count(status int) {
	g.mu.Lock()
	now := time.Now()
	g.inWindowLocked(now)
	g.invalid = append(g.invalid, now)
	g.total++
	g.mu.Unlock()
	if g.onInvalid != nil {
		g.onInvalid(status)
	}
}

// inWindowLocked drops invalid requests older than the window and counts
// the rest.
func (g *RESTLimits) inWindowLocked(now time.Time) int {
	i := 0
	for i < len(g.invalid) && now.Sub(g.invalid[i]) >= invalidWindow {
		i++
	}
	if i > 0 {
		g.invalid = append(g.invalid[:0], g.invalid[i:]...)
	}
	return len(g.invalid)
}

// InvalidRequests reports the 401, 403 and 429 answers (429s of scope
// "shared" excepted) since start and within the last 10 minutes: Discord
// bans an IP at 10,000 in 10 minutes.
func (t *Transport) InvalidRequests() (total int64, last10m int) {
	return t.rest.InvalidRequests()
}
