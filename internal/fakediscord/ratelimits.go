package fakediscord

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Discord's invalid-request limit (topics/rate-limits#invalid-request-limit-aka-cloudflare-bans):
// "IP addresses that make too many invalid HTTP requests are automatically
// and temporarily restricted ... this limit is 10,000 per 10 minutes. An
// invalid request is one that results in 401, 403, or 429 statuses", and
// "429 errors returned with X-RateLimit-Scope: shared are not counted".
const (
	invalidWindow       = 10 * time.Minute
	defaultInvalidLimit = 10000
	defaultBanFor       = time.Hour
)

// limitGrace is how long after a global 429 or a ban a request may still
// arrive without counting as ignoring it: it may have been sent before the
// client read the answer.
const limitGrace = 250 * time.Millisecond

type restLimits struct {
	globalSent, globalUntil time.Time // real time
	banSent, bannedUntil    time.Time
	invalid                 []time.Time
	invalidTotal            int
}

// InvalidRequests is how many invalid requests (401, 403, 429 not of
// scope "shared") the fake answered in all, and in the last 10 minutes.
func (f *Server) InvalidRequests() (total, last10m int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rl.invalidTotal, f.invalidInWindowLocked(time.Now())
}

func (f *Server) invalidInWindowLocked(now time.Time) int {
	i := 0
	for i < len(f.rl.invalid) && now.Sub(f.rl.invalid[i]) >= invalidWindow {
		i++
	}
	f.rl.invalid = append(f.rl.invalid[:0], f.rl.invalid[i:]...)
	return len(f.rl.invalid)
}

// countInvalid counts an answer against the invalid-request limit and
// bans the client when it goes over Options.InvalidRequestLimit.
func (f *Server) countInvalid(status int, h http.Header) {
	if status != http.StatusUnauthorized && status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return
	}
	if status == http.StatusTooManyRequests && h.Get("X-RateLimit-Scope") == "shared" {
		return
	}
	f.mu.Lock()
	now := time.Now()
	f.rl.invalid = append(f.rl.invalid, now)
	f.rl.invalidTotal++
	over := f.invalidInWindowLocked(now) > f.opts.InvalidRequestLimit && now.After(f.rl.bannedUntil)
	f.mu.Unlock()
	if over {
		f.ban(f.opts.BanFor)
	}
}

func (f *Server) ban(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.rl.banSent, f.rl.bannedUntil = now, now.Add(d)
}

// globalLimited notes a global 429 that asked to wait d.
func (f *Server) globalLimited(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.rl.globalSent, f.rl.globalUntil = now, now.Add(d)
}

// checkLimitsLocked answers a request that came during a ban (banned), and
// records one that ignored a global rate limit or a ban.
//
// topics/rate-limits#global-rate-limit: a global 429 limits "the total
// number of requests a bot ... makes", except that "Interaction endpoints
// are not bound to the bot's Global Rate Limit".
func (f *Server) checkLimitsLocked(method, path string) (banned bool) {
	now := time.Now()
	if now.Before(f.rl.bannedUntil) {
		if now.Sub(f.rl.banSent) > limitGrace {
			f.violateLocked("rate-limits#invalid-request-limit-aka-cloudflare-bans",
				fmt.Sprintf("%s %s during a Cloudflare ban (%v left)", method, path, f.rl.bannedUntil.Sub(now).Round(time.Millisecond)))
		}
		return true
	}
	if now.Before(f.rl.globalUntil) && now.Sub(f.rl.globalSent) > limitGrace && !interactionEndpoint(path) {
		f.violateLocked("rate-limits#global-rate-limit",
			fmt.Sprintf("%s %s during a global rate limit (%v left)", method, path, f.rl.globalUntil.Sub(now).Round(time.Millisecond)))
	}
	return false
}

// interactionEndpoint: the callback and the interaction webhooks
// (interactions/receiving-and-responding#endpoints).
func interactionEndpoint(path string) bool {
	seg := splitPath(stripAPI(path))
	return len(seg) > 0 && (seg[0] == "interactions" || seg[0] == "webhooks")
}

// writeBanned answers as Cloudflare does for a banned IP: 429 with an HTML
// page, not Discord's JSON.
func writeBanned(w http.ResponseWriter, retryAfter time.Duration) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte(strings.Join([]string{"<!DOCTYPE html>", "<html><head><title>Access denied | discord.com used Cloudflare to restrict access</title></head>",
		"<body><h1>Error 1015</h1><p>You are being rate limited.</p><p>The owner of this website (discord.com) has banned you temporarily from accessing this website.</p></body></html>", ""}, "\n")))
}
