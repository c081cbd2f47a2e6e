package app

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/digest"
)

func newSched(t *testing.T, name string) *digest.Scheduler {
	t.Helper()
	every, err := digest.ParseSchedule("0 8 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	s, err := digest.NewScheduler([]digest.Job{{Spec: digest.Spec{Name: name, Channel: "1"}, Schedule: every}}, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSupervisorReloads: a reload swaps the running scheduler, a refused
// one keeps it, and the end of ctx stops it.
func TestSupervisorReloads(t *testing.T) {
	first, second := newSched(t, "first"), newSched(t, "second")
	running := make(chan *digest.Scheduler)
	offers := make(chan *digest.Scheduler) // what each reload yields
	var slot SchedulerSlot
	slot.Set(first)
	sup := &Supervisor{
		Sched: &slot,
		Run: func(ctx context.Context, s *digest.Scheduler) error {
			running <- s
			<-ctx.Done()
			return ctx.Err()
		},
		Reload: func() *digest.Scheduler { return <-offers },
		Log:    slog.New(slog.DiscardHandler),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sup.Supervise(ctx) }()
	name := func(s *digest.Scheduler) string { return s.Jobs()[0].Spec.Name }
	if s := <-running; s != first {
		t.Fatalf("first run: %s", name(s))
	}
	if !slot.Alive() {
		t.Error("not alive while running")
	}

	sup.RequestReload()
	offers <- nil // refused: the first scheduler runs on
	sup.RequestReload()
	offers <- second
	if s := <-running; s != second {
		t.Fatalf("after the reload: %s", name(s))
	}
	if slot.Get() != second {
		t.Error("the slot still holds the old scheduler")
	}
	cancel()
	<-done
	if slot.Alive() {
		t.Error("alive after the end")
	}
}

func TestStartStopWaits(t *testing.T) {
	var mu sync.Mutex
	ended := 0
	loop := func(ctx context.Context) {
		<-ctx.Done()
		mu.Lock()
		ended++
		mu.Unlock()
	}
	stop := Start(context.Background(), loop, loop, loop)
	stop()
	if ended != 3 {
		t.Errorf("stop returned with %d of 3 loops ended", ended)
	}
}
