package memlimit

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestSoft(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("the process has a memory limit (GOMEMLIMIT)")
	}
	restore := Soft(100 << 20)
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("limit %d, want %d", got, 100<<20)
	}
	inner := Soft(50 << 20) // a limit stands: nothing changes
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("nested: limit %d, want the outer %d", got, 100<<20)
	}
	inner()
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("after the nested restore: limit %d, want %d", got, 100<<20)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("restored: limit %d, want none", got)
	}
	for _, off := range []int64{0, -1} {
		Soft(off)()
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Errorf("Soft(%d): limit %d, want none", off, got)
		}
	}
	// A limit the process set itself is left alone.
	debug.SetMemoryLimit(1 << 30)
	defer debug.SetMemoryLimit(math.MaxInt64)
	restore = Soft(100 << 20)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("limit of the process replaced by %d", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("limit of the process changed to %d", got)
	}
}
