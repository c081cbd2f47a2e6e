// Package apperr is digestbot's one error type for problems a user can act
// on: an Error carries a Code saying what kind of problem it is and a
// Message written for the person who caused it. Packages return an *Error
// (or wrap one with %w) for bad input and missing things; transports show
// the Message and log anything else as an internal failure.
package apperr

import (
	"errors"
	"fmt"
)

// Code is the kind of a problem.
type Code string

// The codes.
const (
	// Invalid input: a query, option or date the user got wrong.
	Invalid Code = "invalid"
	// NotFound: no such article, state or record.
	NotFound Code = "not_found"
	// Ambiguous: an ID prefix that names more than one thing.
	Ambiguous Code = "ambiguous"
	// TooShort: an ID prefix too short to look up.
	TooShort Code = "too_short"
	// Unavailable: the feature is not configured or not running.
	Unavailable Code = "unavailable"
	// Forbidden: the user (or the bot) may not do this.
	Forbidden Code = "forbidden"
	// Internal: anything else; its message is not for users.
	Internal Code = "internal"
)

// Error is a problem with a code and a message for the user.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain: "" for nil,
// Internal for an error that carries none.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message of the first *Error in err's chain, "" for
// nil or an error that carries none (its text is not meant for users).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
