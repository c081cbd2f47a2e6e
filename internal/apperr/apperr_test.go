package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeAndMessage(t *testing.T) {
	sentinel := &Error{Code: NotFound, Message: "not found"}
	cases := []struct {
		err  error
		code Code
		msg  string
	}{
		{nil, "", ""},
		{errors.New("disk on fire"), Internal, ""},
		{Errorf(Invalid, "date %q not understood", "x"), Invalid, `date "x" not understood`},
		{fmt.Errorf("article %q: %w", "abcd", sentinel), NotFound, "not found"},
	}
	for _, c := range cases {
		if got := CodeOf(c.err); got != c.code {
			t.Errorf("CodeOf(%v) = %q, want %q", c.err, got, c.code)
		}
		if got := MessageOf(c.err); got != c.msg {
			t.Errorf("MessageOf(%v) = %q, want %q", c.err, got, c.msg)
		}
		if c.code != "" && !Is(c.err, c.code) {
			t.Errorf("Is(%v, %q) = false", c.err, c.code)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", sentinel), sentinel) {
		t.Error("a wrapped sentinel is not errors.Is itself")
	}
}
