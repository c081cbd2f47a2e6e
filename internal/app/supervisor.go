package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/digestbot/digestbot/digest"
)

// Supervisor runs the digest scheduler held in Sched and replaces it when
// a reload is requested: a valid new configuration's scheduler takes over
// without a restart; a refused one leaves the running scheduler alone.
type Supervisor struct {
	Sched *SchedulerSlot
	// Run runs a scheduler until ctx ends: at once alone, or while elected
	// in a cluster.
	Run func(ctx context.Context, s *digest.Scheduler) error
	// Reload re-reads the configuration and returns the scheduler for its
	// digests, or nil when the configuration is refused (Reload logs why).
	Reload func() *digest.Scheduler
	Log    *slog.Logger

	requests chan struct{}
	once     sync.Once
}

func (s *Supervisor) reloads() chan struct{} {
	s.once.Do(func() { s.requests = make(chan struct{}, 1) })
	return s.requests
}

// RequestReload asks the supervisor to reload, without blocking; requests
// made while one is pending are one request.
func (s *Supervisor) RequestReload() {
	select {
	case s.reloads() <- struct{}{}:
	default:
	}
}

// Supervise runs the current scheduler until ctx ends, swapping in the
// scheduler of each accepted reload.
func (s *Supervisor) Supervise(ctx context.Context) {
	for {
		sched := s.Sched.Get()
		runCtx, stopRun := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Sched.alive.Store(true)
			defer s.Sched.alive.Store(false)
			if err := s.Run(runCtx, sched); err != nil && runCtx.Err() == nil {
				s.Log.Error("digest scheduler stopped", "error", err)
			}
		}()
		next := s.awaitReload(ctx)
		stopRun()
		<-done
		if next == nil {
			return
		}
		s.Sched.Set(next)
	}
}

// awaitReload waits for a reload request that yields a new scheduler, or
// returns nil when ctx ends.
func (s *Supervisor) awaitReload(ctx context.Context) *digest.Scheduler {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.reloads():
			if next := s.Reload(); next != nil {
				return next
			}
		}
	}
}

// Start runs each of loops in its own goroutine until the returned stop is
// called (or ctx ends); stop waits for them all.
func Start(ctx context.Context, loops ...func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, loop := range loops {
		wg.Go(func() { loop(ctx) })
	}
	return func() { cancel(); wg.Wait() }
}
