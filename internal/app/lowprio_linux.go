package app

import "syscall"

// lowerThreadPriority gives the calling thread the lowest scheduling
// priority (nice 19). On Linux a priority set by thread ID applies to that
// thread only; the caller has locked its goroutine to the thread and never
// unlocks it, so the thread, and its priority, end with the goroutine.
func lowerThreadPriority() error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
