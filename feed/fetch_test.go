package feed

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostGate: one request at a time per host, and idle hosts
// forgotten.
func TestHostGate(t *testing.T) {
	g := hostGate{gap: 100 * time.Microsecond, slots: map[string]*hostSlot{}}
	ctx := context.Background()
	var inflight, worst atomic.Int32
	var wg sync.WaitGroup
	for i := range 600 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host := fmt.Sprintf("h%d", i%40)
			if i%3 == 0 {
				host = "busy"
			}
			release, err := g.acquire(ctx, host)
			if err != nil {
				t.Error(err)
				return
			}
			if host == "busy" {
				n := inflight.Add(1)
				for m := worst.Load(); n > m && !worst.CompareAndSwap(m, n); m = worst.Load() {
				}
				time.Sleep(50 * time.Microsecond)
				inflight.Add(-1)
			}
			release()
		}()
	}
	wg.Wait()
	if worst.Load() != 1 {
		t.Errorf("%d requests at once to one host", worst.Load())
	}
	// Idle hosts whose pause is over are forgotten when the table is full.
	idle := hostGate{slots: map[string]*hostSlot{}}
	for i := range 3 * maxIdleHosts {
		r, err := idle.acquire(ctx, fmt.Sprintf("h%d", i))
		if err != nil {
			t.Fatal(err)
		}
		r()
	}
	if len(idle.slots) > maxIdleHosts {
		t.Errorf("%d hosts remembered, at most %d wanted", len(idle.slots), maxIdleHosts)
	}
	// A cancelled wait gives its turn up.
	release, _ := g.acquire(ctx, "busy")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.acquire(cctx, "busy"); err == nil {
		t.Error("a cancelled wait got the turn")
	}
	release()
	if r, err := g.acquire(ctx, "busy"); err != nil {
		t.Error(err)
	} else {
		r()
	}
}
