package fakediscord

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Request is one HTTP request the fake received, with what it answered.
type Request struct {
	Time     time.Time
	Method   string
	Path     string // as received, e.g. /api/v9/channels/1/messages
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int    // status answered (0 if the connection was dropped)
	Route    string // e.g. "POST /channels/{id}/messages", "GET /ws" (gateway); "" when unhandled (404)
	Fault    string // non-empty when an injected fault answered: "429", "500", "drop", "delay"…
	Note     string // e.g. "nonce: returned existing message"
	Duration time.Duration
}

// Requests returns every request received so far, in arrival order.
func (f *Server) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// RequestsTo returns the requests matching a route pattern (see Fault.Route).
// A request whose body the client cut short (it was killed mid-send) is
// not among them: it never became an API call (see Requests).
func (f *Server) RequestsTo(pattern string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requestsToLocked(pattern)
}

func (f *Server) requestsToLocked(pattern string) []Request {
	var out []Request
	for _, r := range f.requests {
		if r.Fault != "cut" && matchRoute(pattern, r.Method, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// Unhandled returns the requests the fake had no route for (answered 404).
func (f *Server) Unhandled() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if r.Route == "" && (r.Fault == "" || r.Fault == "delay") {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequests waits until at least n requests matching pattern have been
// answered and returns them all.
func (f *Server) WaitRequests(ctx context.Context, pattern string, n int) ([]Request, error) {
	var out []Request
	err := f.wait(ctx, fmt.Sprintf("%d requests to %q", n, pattern), func() bool {
		out = f.requestsToLocked(pattern)
		return len(out) >= n
	})
	return out, err
}

// matchRoute reports whether a request matches a pattern "[METHOD ]PATH".
// PATH is compared segment by segment after dropping a leading /api/vN;
// "*" or "{name}" matches one segment, a final "**" matches the rest (also
// nothing). "" and "**" match everything.
func matchRoute(pattern, method, path string) bool {
	pattern = strings.TrimSpace(pattern)
	if m, rest, ok := strings.Cut(pattern, " "); ok {
		if !strings.EqualFold(m, method) {
			return false
		}
		pattern = strings.TrimSpace(rest)
	}
	if pattern == "" || pattern == "**" {
		return true
	}
	ps := splitPath(stripAPI(pattern))
	rs := splitPath(stripAPI(path))
	for i, p := range ps {
		if p == "**" && i == len(ps)-1 {
			return true
		}
		if i >= len(rs) {
			return false
		}
		if p == "*" || (strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")) {
			continue
		}
		if p != rs[i] {
			return false
		}
	}
	return len(ps) == len(rs)
}

// stripAPI drops a leading /api or /api/vN from a path.
func stripAPI(p string) string {
	p = "/" + strings.TrimLeft(p, "/")
	if rest, ok := strings.CutPrefix(p, "/api/"); ok {
		if strings.HasPrefix(rest, "v") {
			if _, after, ok := strings.Cut(rest, "/"); ok {
				return "/" + after
			}
			return "/"
		}
		return "/" + rest
	}
	if p == "/api" {
		return "/"
	}
	return p
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
