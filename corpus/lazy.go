package corpus

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use, not when the program starts:
// every command links this package, and compiling its patterns up front
// cost each start of the program (even `digestbot --help`) a millisecond
// or more.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
