package fakediscord

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault is misbehaviour injected into the REST API. The first active fault
// whose Route matches a request answers it (faults are tried in the order
// they were added).
type Fault struct {
	// Route is "[METHOD ]PATH" where PATH drops /api/vN, "*" or "{x}" matches
	// one segment and a trailing "**" the rest: "POST /channels/*/messages",
	// "/interactions/**", "**" (everything).
	Route string
	// Status to answer (429, 500, 502, 403…). 0 with a Delay only slows the
	// request down and then serves it normally.
	Status int
	// Times is how many requests the fault answers; 0 means until For runs
	// out or the fault is removed.
	Times int
	// For limits the fault to a span of Options.Clock time from AddFault;
	// 0 means no time limit.
	For time.Duration
	// Delay is real time waited before answering (bounded by Close and by
	// the client giving up).
	Delay time.Duration
	// RetryAfter for 429 (default 50 ms): JSON retry_after (seconds, float),
	// Retry-After header (whole seconds, rounded up, as Discord sends) and
	// X-RateLimit-Reset-After.
	RetryAfter time.Duration
	// Global marks a 429 as the global limit, answered as documented:
	// Retry-After, X-RateLimit-Global: true and X-RateLimit-Scope: global,
	// no bucket headers; "global": true in the body. Same as Scope "global".
	Global bool
	// Scope of a 429: "user" (default), "global" or "shared" (a busy
	// resource; Discord does not count it against the client).
	Scope string
	// CloudflareBan answers 429 with Cloudflare's HTML page instead of
	// Discord's JSON: the IP is banned for RetryAfter (default 10 s), and a
	// request during the ban is recorded as a violation.
	CloudflareBan bool
	// Code and Message form the JSON error body; defaults depend on Status.
	Code    int
	Message string
	// Drop closes the connection without any response (a network error).
	Drop bool
}

// FaultHandle identifies an added fault.
type FaultHandle struct {
	f  *Server
	id int
}

type faultRule struct {
	Fault
	id      int
	until   time.Time // zero: no time limit
	left    int       // remaining hits when Times > 0
	hits    int
	removed bool
}

// AddFault installs a fault and returns a handle to inspect or remove it.
func (f *Server) AddFault(ft Fault) FaultHandle {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextFault++
	r := &faultRule{Fault: ft, id: f.nextFault, left: ft.Times}
	if ft.For > 0 {
		r.until = f.now().Add(ft.For)
	}
	if r.CloudflareBan {
		r.Status = http.StatusTooManyRequests
		if r.RetryAfter <= 0 {
			r.RetryAfter = 10 * time.Second
		}
	}
	if r.Status == http.StatusTooManyRequests && r.RetryAfter <= 0 {
		r.RetryAfter = 50 * time.Millisecond
	}
	if r.Global {
		r.Scope = "global"
	}
	f.faults = append(f.faults, r)
	f.faultByID[r.id] = r
	f.armed.Store(true)
	return FaultHandle{f: f, id: r.id}
}

// Remove uninstalls the fault.
func (h FaultHandle) Remove() {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	for i, r := range h.f.faults {
		if r.id == h.id {
			r.removed = true
			h.f.faults = append(h.f.faults[:i], h.f.faults[i+1:]...)
			return
		}
	}
}

// Hits is how many requests the fault has answered.
func (h FaultHandle) Hits() int {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if r := h.f.faultByID[h.id]; r != nil {
		return r.hits
	}
	return 0
}

// FailNext answers the next n requests matching route with status. A 429
// carries retry_after 50 ms.
func (f *Server) FailNext(route string, n, status int) FaultHandle {
	return f.AddFault(Fault{Route: route, Status: status, Times: n})
}

// RateLimitNext answers the next n requests matching route with 429 and
// the given retry_after; global marks it as the global rate limit.
func (f *Server) RateLimitNext(route string, n int, retryAfter time.Duration, global bool) FaultHandle {
	return f.AddFault(Fault{Route: route, Status: http.StatusTooManyRequests, Times: n, RetryAfter: retryAfter, Global: global})
}

// FailFor answers every request matching route with status for d of
// Options.Clock time.
func (f *Server) FailFor(route string, d time.Duration, status int) FaultHandle {
	return f.AddFault(Fault{Route: route, Status: status, For: d})
}

// SlowDown delays the next n requests matching route by delay (n = 0: all,
// until removed), then serves them normally.
func (f *Server) SlowDown(route string, delay time.Duration, n int) FaultHandle {
	return f.AddFault(Fault{Route: route, Delay: delay, Times: n})
}

// ClearFaults removes every fault and route limit.
func (f *Server) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.faults {
		r.removed = true
	}
	f.faults = nil
	f.limits = nil
}

// takeFaultLocked finds the fault answering a request and counts the hit.
func (f *Server) takeFaultLocked(method, path string) *faultRule {
	now := f.now()
	kept := f.faults[:0]
	var hit *faultRule
	for _, r := range f.faults {
		expired := (!r.until.IsZero() && !now.Before(r.until)) || (r.Times > 0 && r.left <= 0)
		if expired {
			r.removed = true
			continue
		}
		kept = append(kept, r)
		if hit == nil && matchRoute(r.Route, method, path) {
			hit = r
			r.hits++
			if r.Times > 0 {
				r.left--
			}
		}
	}
	for i := len(kept); i < len(f.faults); i++ {
		f.faults[i] = nil
	}
	f.faults = kept
	return hit
}

// writeFault answers a request with the fault's status and body.
func (f *Server) writeFault(w http.ResponseWriter, r *faultRule, now time.Time) {
	switch {
	case r.CloudflareBan:
		f.ban(r.RetryAfter)
		writeBanned(w, r.RetryAfter)
		return
	case r.Status == http.StatusTooManyRequests:
		if r.Scope == "global" {
			f.globalLimited(r.RetryAfter)
		}
		writeRateLimited(w, r.RetryAfter, r.Scope, bucketHash(r.Route), now)
		return
	}
	msg, code := r.Message, r.Code
	switch r.Status {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if msg == "" {
			// Cloudflare answers these with HTML, not JSON.
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(r.Status)
			fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>cloudflare</center></body></html>\n",
				r.Status, http.StatusText(r.Status), r.Status, http.StatusText(r.Status))
			return
		}
	case http.StatusForbidden:
		if msg == "" && code == 0 {
			msg, code = "Missing Permissions", 50013
		}
	case http.StatusNotFound:
		if msg == "" {
			msg = "404: Not Found"
		}
	}
	if msg == "" {
		msg = strconv.Itoa(r.Status) + ": " + http.StatusText(r.Status)
	}
	writeError(w, r.Status, code, msg)
}

// writeRateLimited answers 429 the way Discord does, by scope
// (topics/rate-limits#exceeding-a-rate-limit, its three examples): "user"
// and "shared" with the bucket headers, "global" with only Retry-After,
// X-RateLimit-Global and X-RateLimit-Scope.
func writeRateLimited(w http.ResponseWriter, retryAfter time.Duration, scope, bucket string, now time.Time) {
	if scope == "" {
		scope = "user"
	}
	secs := retryAfter.Seconds()
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	if scope != "global" {
		h.Set("X-RateLimit-Limit", "1")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", formatEpoch(now.Add(retryAfter)))
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", bucket)
	} else {
		h.Set("X-RateLimit-Global", "true")
	}
	h.Set("X-RateLimit-Scope", scope)
	msg := "You are being rate limited."
	if scope == "shared" {
		msg = "The resource is being rate limited."
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message":     msg,
		"retry_after": math.Round(secs*1000) / 1000,
		"global":      scope == "global",
		"code":        0,
	})
}

func formatEpoch(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

func bucketHash(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// routeLimit is a real per-route bucket: at most n requests per window for
// each distinct method+path matching route.
type routeLimit struct {
	route   string
	n       int
	per     time.Duration
	windows map[string]*limitWindow
}

type limitWindow struct {
	start time.Time
	used  int
}

// LimitRoute enforces a Discord-style bucket on every distinct method+path
// matching route: n requests per window (real time). Answers carry
// X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket so discordgo's own
// limiter can pace itself; the request past the limit gets a 429.
func (f *Server) LimitRoute(route string, n int, per time.Duration) {
	if n < 1 {
		n = 1
	}
	if per <= 0 {
		per = time.Second
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed.Store(true)
	f.limits = append(f.limits, &routeLimit{route: route, n: n, per: per, windows: map[string]*limitWindow{}})
}

// checkLimitLocked applies route limits: it sets rate-limit headers and
// reports the retry delay when the request must be refused.
func (f *Server) checkLimitLocked(h http.Header, method, path string) (retry time.Duration, bucket string, limited bool) {
	now := time.Now()
	for _, l := range f.limits {
		if !matchRoute(l.route, method, path) {
			continue
		}
		key := method + " " + path
		win := l.windows[key]
		if win == nil || now.Sub(win.start) >= l.per {
			win = &limitWindow{start: now}
			l.windows[key] = win
		}
		reset := win.start.Add(l.per)
		bucket = bucketHash(l.route + key)
		if win.used >= l.n {
			return reset.Sub(now), bucket, true
		}
		win.used++
		h.Set("X-RateLimit-Limit", strconv.Itoa(l.n))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(l.n-win.used))
		h.Set("X-RateLimit-Reset", formatEpoch(reset))
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(reset.Sub(now).Seconds(), 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", bucket)
		return 0, bucket, false
	}
	return 0, "", false
}
