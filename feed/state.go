package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// State is what the poller remembers of a feed between polls.
type State struct {
	// URL is the address the validators belong to: a changed feed URL
	// starts afresh.
	URL string `json:"url"`
	// ETag and LastModified are the last successful response's
	// validators, sent back to make the next poll conditional.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// LastPoll is when the feed was last polled, Outcome how that went:
	// "ok", "not modified" or "error".
	LastPoll time.Time `json:"last_poll"`
	Outcome  string    `json:"outcome"`
	// LastSuccess is the last poll that got an answer (200 or 304).
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Items is the number of items in the last feed document read; Added
	// and Updated what the last poll that read one stored.
	Items   int `json:"items"`
	Added   int `json:"added"`
	Updated int `json:"updated"`
	// NextPoll is when the feed is due again.
	NextPoll time.Time `json:"next_poll"`
	// Failures counts the polls that failed in a row since FailingSince;
	// LastError is the latest one's error.
	Failures     int       `json:"failures,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	// Filtered holds the items the include/exclude filters dropped, by
	// key, with their raw hash, so an unchanged one is not looked at (or
	// its page fetched) again.
	Filtered map[string]string `json:"filtered,omitempty"`
}

// Outcomes of a poll.
const (
	OutcomeOK          = "ok"
	OutcomeNotModified = "not modified"
	OutcomeError       = "error"
)

// LoadState returns the stored state of feed name, the zero State when
// there is none.
func LoadState(ctx context.Context, db Store, name string) (State, error) {
	raw, err := db.FeedState(ctx, name)
	if err != nil || raw == nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return State{}, fmt.Errorf("feed %s: stored state: %w", name, err)
	}
	return s, nil
}

// LoadStates returns the stored state of every feed that has one.
func LoadStates(ctx context.Context, db Store) (map[string]State, error) {
	raw, err := db.FeedStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]State, len(raw))
	for name, v := range raw {
		var s State
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("feed %s: stored state: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

func saveState(ctx context.Context, db Store, name string, s State) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("feed %s: encode state: %w", name, err)
	}
	return db.PutFeedState(ctx, name, raw)
}

// failed records a failed poll and schedules the next one with
// exponential back-off (from the interval, up to MaxBackoff), not before
// what a Retry-After asked.
func (s *State) failed(now time.Time, every time.Duration, err error, retryAfter time.Duration) {
	s.LastPoll, s.Outcome, s.LastError = now, OutcomeError, err.Error()
	if s.Failures == 0 {
		s.FailingSince = now
	}
	s.Failures++
	wait := every
	for i := 1; i < s.Failures && wait < MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(max(wait, retryAfter), MaxBackoff)
	s.NextPoll = now.Add(wait)
}

// succeeded records a poll that got an answer.
func (s *State) succeeded(now time.Time, every time.Duration, outcome string) {
	s.LastPoll, s.LastSuccess, s.Outcome = now, now, outcome
	s.Failures, s.FailingSince, s.LastError = 0, time.Time{}, ""
	s.NextPoll = now.Add(every)
}

// FailingFor is how long the feed has been failing at now, zero when its
// last poll succeeded.
func (s State) FailingFor(now time.Time) time.Duration {
	if s.Failures == 0 || s.FailingSince.IsZero() {
		return 0
	}
	return now.Sub(s.FailingSince)
}
