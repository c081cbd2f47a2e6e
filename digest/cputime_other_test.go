//go:build !unix

package digest

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
