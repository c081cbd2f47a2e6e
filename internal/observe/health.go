package observe

import (
	"context"
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
	warn bool // a failure is a warning: reported, but the bot stays healthy
}

// Add registers a check.
func (h *Health) Add(name string, fn func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, check{name: name, fn: fn})
}

// AddWarning registers a check whose failure is reported as a warning
// ("WARN name: …") without making the bot unhealthy: something an
// operator should look at that a restart would not cure, such as a feed
// that has been failing for a day.
func (h *Health) AddWarning(name string, fn func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, check{name: name, fn: fn, warn: true})
}

// Result is one check's outcome.
type Result struct {
	Name string
	Err  error
	// Warning marks a check added with AddWarning.
	Warning bool
}

// Check runs every check, each bounded by ctx, and returns the outcomes in
// the order the checks were added.
func (h *Health) Check(ctx context.Context) []Result {
	h.mu.Lock()
	checks := append([]check(nil), h.checks...)
	h.mu.Unlock()
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = Result{Name: c.name, Err: c.fn(ctx), Warning: c.warn}
	}
	return out
}

// Handler serves /healthz: 200 and "ok" lines when every check passes,
// else 503 with the failing checks' reasons first. Warnings come after
// failures and do not change the status.
func (h *Health) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var bad, warn, good strings.Builder
		for _, res := range h.Check(ctx) {
			if res.Err != nil && res.Warning {
				fmt.Fprintf(&warn, "WARN %s: %v\n", res.Name, res.Err)
			} else if res.Err != nil {
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
		fmt.Fprint(w, bad.String()+warn.String()+good.String())
	})
}
