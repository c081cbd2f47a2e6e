//go:build !unix

package feed

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
