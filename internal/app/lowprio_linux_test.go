package app

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
)

// TestLowerThreadPriority: the worker's thread gets nice 19, and no other
// thread does.
func TestLowerThreadPriority(t *testing.T) {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := lowerThreadPriority(); err != nil {
			errc <- err
			return
		}
		errc <- threadNice(19)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := threadNice(19); err == nil {
		t.Error("the test's own thread was lowered too")
	}
}

// threadNice checks the calling thread's nice value.
func threadNice(want int) error {
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		return err
	}
	if nice := 20 - prio; nice != want { // the system call answers 20 - nice
		return fmt.Errorf("thread nice %d, want %d", nice, want)
	}
	return nil
}
