package main

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use rather than when the program
// starts: a command that never needs the pattern (digestbot --help, a
// search) does not pay for it.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
