package observe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Health runs named checks; the bot is healthy when all pass. A check
// returns nil when fine, or an error saying what is wrong ("gateway
// disconnected for 3m", "digest morning overdue by 2h").
type Health struct {
	mu     sync.Mutex
	checks []check
}

type check struct {
	name string
	fn   func(context.Context) error
}

// Add registers a check.
func (h *Health) Add(name string, fn func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, check{name, fn})
}

// Busy is a check's outcome saying that something is under way (the
// search index rebuilding) without failing the bot's health: /healthz
// shows it on the check's ok line. A restart would only start it over.
type Busy string

func (b Busy) Error() string { return string(b) }

// Result is one check's outcome.
type Result struct {
	Name string
	Err  error
}

// Check runs every check, each bounded by ctx, and returns the outcomes in
// the order the checks were added.
func (h *Health) Check(ctx context.Context) []Result {
	h.mu.Lock()
	checks := append([]check(nil), h.checks...)
	h.mu.Unlock()
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = Result{Name: c.name, Err: c.fn(ctx)}
	}
	return out
}

// Handler serves /healthz: 200 and "ok" lines when every check passes
// (a Busy one says what is under way), else 503 with the failing checks'
// reasons first.
func (h *Health) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var bad, good strings.Builder
		for _, res := range h.Check(ctx) {
			var busy Busy
			if errors.As(res.Err, &busy) {
				fmt.Fprintf(&good, "ok   %s: %s\n", res.Name, busy)
				continue
			}
			if res.Err != nil {
				fmt.Fprintf(&bad, "FAIL %s: %v\n", res.Name, res.Err)
			} else {
				fmt.Fprintf(&good, "ok   %s\n", res.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if bad.Len() > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, bad.String()+good.String())
	})
}
