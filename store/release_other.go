//go:build !linux

package store

import "context"

// ReleaseMemory does nothing on this system.
func (db *DB) ReleaseMemory(ctx context.Context) error { return ctx.Err() }
