package fakediscord

import (
	"sync"
	"time"
)

// ManualClock is a clock that moves only when told to: pass its Now as
// Options.Clock so faults timed with Fault.For (a minute of 5xx, say) pass
// when the test says, without waiting. The zero value starts at the zero
// time; set T first.
type ManualClock struct {
	mu sync.Mutex
	T  time.Time
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.T = c.T.Add(d)
	c.mu.Unlock()
}
