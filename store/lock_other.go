//go:build !unix

package store

import (
	"os"
	"time"
)

// lockFile does nothing here: bbolt locks the file itself when it opens
// it, after the structure was checked.
func lockFile(*os.File, time.Duration, bool) error { return nil }
