// Package memlimit sets a soft limit on the Go heap for the length of one
// bulk job (an import, an index rebuild) when the process has none of its
// own (GOMEMLIMIT or debug.SetMemoryLimit), so that garbage is collected
// before the heap grows to twice what is live and the runtime hands freed
// memory back to the system sooner.
package memlimit

import (
	"math"
	"runtime/debug"
)

// Soft sets a soft limit of limit bytes on the Go heap when the process
// has none and limit is positive, and returns what restores the previous
// one. It does not nest: an inner call while a limit stands does nothing.
func Soft(limit int64) (restore func()) {
	prev := debug.SetMemoryLimit(-1)
	if limit <= 0 || prev != math.MaxInt64 {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}
