package app

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/digestbot/digestbot/digest"
)

// Summary worker defaults.
const (
	// DefaultSummaryPoll is how often the worker looks for new articles
	// when nothing tells it of them (another process or replica stored
	// them).
	DefaultSummaryPoll = time.Minute
	// DefaultSummaryBacklog bounds the articles one round summarises for
	// one set of options: the most recently stored. After a bulk load the
	// older ones are summarised when a digest first shows them.
	DefaultSummaryBacklog = 1000
	// DefaultSummaryBatch is how many summaries are made per write.
	DefaultSummaryBatch = 8
)

// SummaryWorker makes the summaries of newly stored articles in the
// background, so that the digests that show them find them cached. It is
// one goroutine on a thread of the lowest priority, resting between
// batches as long as each took (at most half of one CPU); it works
// through the articles stored since its mark for each set of options (see
// digest.Service.Backlog), the most recently stored first. Stopped at any
// point, it loses nothing: what it cached stays, what it did not is done
// by the next round (or by the digest that needs it first). A digest
// never waits for it.
//
// Service, Options, Clock and Log are required.
type SummaryWorker struct {
	Service *digest.Service
	// Options lists the summary options to make summaries with: those of
	// the configured digests (a reload changes them) and the defaults.
	Options func() []digest.Options
	Clock   digest.Clock
	Log     *slog.Logger
	// Poll, Backlog and Batch default to DefaultSummaryPoll,
	// DefaultSummaryBacklog and DefaultSummaryBatch.
	Poll    time.Duration
	Backlog int
	Batch   int

	kickOnce sync.Once
	kick     chan struct{}

	mu       sync.Mutex
	progress SummaryProgress
}

// SummaryProgress is what the worker has done, for metrics and logs.
type SummaryProgress struct {
	// Pending counts the articles the current round listed and has not
	// summarised yet (0 between rounds).
	Pending int
	// Made counts the summaries made since the worker started.
	Made int64
	// Rounds counts the rounds completed; LastRound is when the latest
	// ended (zero before the first).
	Rounds    int64
	LastRound time.Time
	// Err is the error that ended the latest round early, or "".
	Err string
}

// Progress returns what the worker has done so far.
func (w *SummaryWorker) Progress() SummaryProgress {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.progress
}

func (w *SummaryWorker) update(fn func(p *SummaryProgress)) {
	w.mu.Lock()
	fn(&w.progress)
	w.mu.Unlock()
}

func (w *SummaryWorker) kicks() chan struct{} {
	w.kickOnce.Do(func() { w.kick = make(chan struct{}, 1) })
	return w.kick
}

// Kick tells the worker that articles were stored: it starts a round now
// rather than at its next poll. It never blocks.
func (w *SummaryWorker) Kick() {
	select {
	case w.kicks() <- struct{}{}:
	default: // a round is already due
	}
}

// Run makes summaries in rounds, one at start, then after each Kick or
// Poll, until ctx ends.
func (w *SummaryWorker) Run(ctx context.Context) {
	// The goroutine keeps this thread to the end (no UnlockOSThread), so
	// the lowered priority never passes to other work.
	runtime.LockOSThread()
	if err := lowerThreadPriority(); err != nil {
		w.Log.Debug("summary worker runs at normal priority", "error", err)
	}
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultSummaryPoll
	}
	for {
		if err := w.Round(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("making summaries ahead of digests", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kicks():
		case <-w.Clock.After(poll):
		}
	}
}

// Round makes the summaries missing for each set of options and moves
// their marks. It returns early, with ctx's error, when ctx ends.
func (w *SummaryWorker) Round(ctx context.Context) error {
	start := w.Clock.Now()
	made, err := w.round(ctx)
	w.update(func(p *SummaryProgress) {
		p.Pending = 0
		p.Err = ""
		if err != nil {
			p.Err = err.Error()
			return
		}
		p.Rounds++
		p.LastRound = w.Clock.Now()
	})
	if made > 0 {
		w.Log.Info("summaries made ahead of digests", "made", made, "took", w.Clock.Now().Sub(start).Round(time.Millisecond), "complete", err == nil)
	}
	return err
}

func (w *SummaryWorker) round(ctx context.Context) (int, error) {
	backlog, batch := w.Backlog, w.Batch
	if backlog <= 0 {
		backlog = DefaultSummaryBacklog
	}
	if batch <= 0 {
		batch = DefaultSummaryBatch
	}
	if err := w.termCounts(ctx); err != nil {
		return 0, err
	}
	made := 0
	for _, opts := range distinctOptions(w.Options()) {
		b, err := w.Service.Backlog(ctx, opts, backlog)
		if err != nil {
			return made, err
		}
		if b.Skipped > 0 {
			w.Log.Info("summaries of older articles left to the digests that show them", "articles", b.Skipped, "backlog", backlog)
		}
		w.update(func(p *SummaryProgress) { p.Pending += len(b.IDs) })
		for len(b.IDs) > 0 {
			n := min(batch, len(b.IDs))
			t0 := w.Clock.Now()
			m, err := w.Service.CacheAhead(ctx, b.IDs[:n], opts)
			made += m
			w.update(func(p *SummaryProgress) { p.Made += int64(m); p.Pending -= n })
			if err != nil {
				return made, err
			}
			b.IDs = b.IDs[n:]
			if err := w.rest(ctx, w.Clock.Now().Sub(t0)); err != nil {
				return made, err
			}
		}
		if err := w.Service.MarkAhead(ctx, opts, b.Upto); err != nil {
			return made, err
		}
	}
	return made, nil
}

// termCounts brings the term counts up to date (as the first digest after
// an ingest would) on another goroutine, at normal priority: it holds the
// store's write lock while it counts, which a starved low-priority thread
// must not.
func (w *SummaryWorker) termCounts(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		_, err := w.Service.Stats(ctx)
		errc <- err
	}()
	return <-errc
}

// rest waits d (the time the last batch took), or until ctx ends.
func (w *SummaryWorker) rest(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.Clock.After(d):
		return nil
	}
}

// distinctOptions returns opts without repeats (options equal once their
// defaults are filled in), in order.
func distinctOptions(opts []digest.Options) []digest.Options {
	var out []digest.Options
	for _, o := range opts {
		if o = o.WithDefaults(); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// SummaryOptions lists the summary options of the current scheduler's
// digests, and the defaults (what the bot's summaries and previews of a
// channel without a digest use).
func (h *SchedulerSlot) SummaryOptions() []digest.Options {
	out := []digest.Options{{}}
	if s := h.Get(); s != nil {
		for _, j := range s.Jobs() {
			out = append(out, j.Spec.Summary)
		}
	}
	return out
}
