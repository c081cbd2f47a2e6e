//go:build !unix

package testenv

import "time"

// CPUTime is unknown on this system: ok is false.
func CPUTime() (d time.Duration, ok bool) { return 0, false }
