//go:build !linux

package app

// lowerThreadPriority does nothing where a priority cannot be set for one
// thread: the worker is still bounded to one goroutine and paced.
func lowerThreadPriority() error { return nil }
