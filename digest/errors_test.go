package digest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/digestbot/digestbot/internal/apperr"
)

// TestUndeliverable: a poster's "may not post here" (apperr.Forbidden, as
// the Discord transport reports it) is undeliverable like ErrUndeliverable;
// other errors are retried.
func TestUndeliverable(t *testing.T) {
	forbidden := &apperr.Error{Code: apperr.Forbidden, Message: "the bot may not post in this channel"}
	for err, want := range map[error]bool{
		fmt.Errorf("post: %w", ErrUndeliverable):   true,
		fmt.Errorf("post: %w: 403", forbidden):     true,
		errors.New("503 Service Unavailable"):      false,
		apperr.Errorf(apperr.Invalid, "bad input"): false,
	} {
		if undeliverable(err) != want {
			t.Errorf("undeliverable(%v) = %v", err, !want)
		}
	}
	if _, err := ParseRule("weekly"); !apperr.Is(err, apperr.Invalid) || apperr.MessageOf(err) == "" {
		t.Errorf("ParseRule(weekly) = %v, want an apperr.Invalid", err)
	}
}
