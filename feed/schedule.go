package feed

import (
	"context"
	"time"
)

// Scheduler polls each feed on its own interval, backing off a feed that
// fails, until its context ends.
type Scheduler struct {
	Poller  *Poller
	Sources []Source
	// Workers bounds the polls in flight (requests to one host are one at
	// a time regardless); default 4.
	Workers int
	// OnPoll, when set, is called after each poll from the goroutine that
	// made it.
	OnPoll func(Report)
}

type polled struct {
	i   int
	rep Report
}

// Run polls until ctx ends, then waits for the polls in flight. A feed's
// first poll is when its stored state says it is due (at once when it has
// none), so a restart neither hammers the feeds nor forgets a back-off.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.Sources) == 0 {
		<-ctx.Done()
		return nil
	}
	clock := s.Poller.Clock
	next, err := s.firstDues(ctx)
	if err != nil {
		return err
	}
	var now time.Time
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	busy := make([]bool, len(s.Sources))
	running := 0
	done := make(chan polled)
	for {
		now = clock.Now()
		var wake time.Time
		for i, src := range s.Sources {
			if busy[i] {
				continue
			}
			if next[i].After(now) || running >= workers {
				if wake.IsZero() || next[i].Before(wake) {
					wake = next[i]
				}
				continue
			}
			busy[i] = true
			running++
			go func(i int, src Source) {
				rep := s.Poller.Poll(ctx, src)
				if s.OnPoll != nil && ctx.Err() == nil {
					s.OnPoll(rep)
				}
				done <- polled{i, rep}
			}(i, src)
		}
		var timer <-chan time.Time
		if !wake.IsZero() && running < workers {
			timer = clock.After(max(wake.Sub(now), 0))
		}
		select {
		case <-ctx.Done():
			for ; running > 0; running-- {
				<-done
			}
			return nil
		case r := <-done:
			running--
			busy[r.i] = false
			next[r.i] = r.rep.State.NextPoll
			if next[r.i].IsZero() { // the poll could not even read its state
				next[r.i] = clock.Now().Add(s.Sources[r.i].every())
			}
		case <-timer:
		}
	}
}

// firstDues are the sources' first poll times, from their stored states.
func (s *Scheduler) firstDues(ctx context.Context) ([]time.Time, error) {
	states, err := LoadStates(ctx, s.Poller.Store)
	if err != nil {
		return nil, err
	}
	next := make([]time.Time, len(s.Sources))
	now := s.Poller.Clock.Now()
	for i, src := range s.Sources {
		next[i] = firstDue(states[src.Name], src, now)
	}
	return next, nil
}

// firstDue is when a feed is first polled: when its state says, but no
// later than an interval after its last poll (the interval may have been
// shortened) unless it is backing off.
func firstDue(st State, src Source, now time.Time) time.Time {
	if st.URL != src.URL || st.LastPoll.IsZero() {
		return now
	}
	due := st.NextPoll
	if byInterval := st.LastPoll.Add(src.every()); st.Failures == 0 && byInterval.Before(due) {
		due = byInterval
	}
	return due
}

// PollAll polls each source once, up to workers at a time (requests to
// one host still one at a time), and returns the reports in the order of
// sources.
func PollAll(ctx context.Context, p *Poller, sources []Source, workers int) []Report {
	out := make([]Report, len(sources))
	if workers <= 0 {
		workers = 4
	}
	next := make(chan int)
	done := make(chan struct{})
	for range min(workers, len(sources)) {
		go func() {
			for i := range next {
				out[i] = p.Poll(ctx, sources[i])
			}
			done <- struct{}{}
		}()
	}
	for i := range sources {
		next <- i
	}
	close(next)
	for range min(workers, len(sources)) {
		<-done
	}
	return out
}
