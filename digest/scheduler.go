package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/digestbot/digestbot/store"
)

// CatchUp is what a schedule does about runs missed while digestbot was
// not running.
type CatchUp string

// The catch-up policies.
const (
	// CatchUpOnce posts the latest missed run, once, if it is no older than
	// the catch-up window; earlier missed runs are skipped (the default).
	CatchUpOnce CatchUp = "once"
	// CatchUpSkip skips missed runs; the next one runs on time.
	CatchUpSkip CatchUp = "skip"
)

// Scheduling constants.
const (
	DefaultCatchUpWindow = 6 * time.Hour
	// onTime: a run started within this of its slot is on time, not a
	// catch-up.
	onTime = 2 * time.Minute
	// keepRuns: runs recorded per digest (older ones are pruned).
	keepRuns = 500
	// maxBacklog: after downtime longer than this, earlier slots are not
	// even counted.
	maxBacklog = 40 * 24 * time.Hour
	// Retries of a failed run back off from retryMin to retryMax.
	retryMin = 30 * time.Second
	retryMax = 15 * time.Minute
)

// Job is one configured digest: what to build, when, and what to do about
// missed runs.
type Job struct {
	Spec     Spec // Spec.Name and Spec.Channel are required
	Schedule *Schedule
	CatchUp  CatchUp       // default CatchUpOnce
	Window   time.Duration // catch-up window; default DefaultCatchUpWindow
}

// RunLog records scheduled runs (*store.DB implements it).
type RunLog interface {
	BeginRun(ctx context.Context, run store.DigestRun) (store.DigestRun, bool, error)
	RecordSent(ctx context.Context, digest, slot string, index int, messageID string, now time.Time) error
	FinishRun(ctx context.Context, digest, slot string, state store.RunState, note string, now time.Time) (store.DigestRun, error)
	LastRun(ctx context.Context, digest string) (store.DigestRun, bool, error)
	Run(ctx context.Context, digest, slot string) (store.DigestRun, bool, error)
	PruneRuns(ctx context.Context, digest string, keep int) error
}

// Builder builds digests (*Service implements it).
type Builder interface {
	Build(ctx context.Context, spec Spec, at time.Time) (Digest, error)
}

// Clock tells the time and waits; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Scheduler posts digests on their schedules, each run exactly once:
//
//  1. It builds and renders the digest, then records the intent — the
//     messages to send, with their nonces — in the store before posting.
//  2. It posts the messages one by one, recording each message's ID.
//  3. It records the run done (and, for a "new" digest, the channel's new
//     position in the change log).
//
// A restart anywhere in between resumes the recorded run — the same
// messages with the same nonces, from the first one not recorded as sent —
// instead of building and posting it again; Discord drops a message whose
// nonce it saw moments before, which covers a crash between a post and its
// record.
type Scheduler struct {
	jobs   []Job
	build  Builder
	runs   RunLog
	poster Poster
	clock  Clock
	log    *slog.Logger
}

// NewScheduler returns a scheduler for jobs. Digest names must be unique
// and every job needs a schedule and a channel.
func NewScheduler(jobs []Job, b Builder, runs RunLog, p Poster, clock Clock, log *slog.Logger) (*Scheduler, error) {
	seen := map[string]bool{}
	for i, j := range jobs {
		switch {
		case j.Spec.Name == "":
			return nil, fmt.Errorf("digest %d has no name", i+1)
		case seen[j.Spec.Name]:
			return nil, fmt.Errorf("two digests are named %q", j.Spec.Name)
		case j.Spec.Channel == "":
			return nil, fmt.Errorf("digest %q has no channel", j.Spec.Name)
		case j.Schedule == nil:
			return nil, fmt.Errorf("digest %q has no schedule", j.Spec.Name)
		}
		seen[j.Spec.Name] = true
		if j.CatchUp == "" {
			jobs[i].CatchUp = CatchUpOnce
		}
		if j.Window <= 0 {
			jobs[i].Window = DefaultCatchUpWindow
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = SystemClock{}
	}
	return &Scheduler{jobs: jobs, build: b, runs: runs, poster: p, clock: clock, log: log}, nil
}

// Run runs the schedules until ctx is done: at each run time it posts what
// is due, and it retries failed runs with backoff.
func (s *Scheduler) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	var pruned time.Time
	for {
		now := s.clock.Now()
		err := s.Tick(ctx, now)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Once a day, drop the summaries of articles that changed or went.
		if p, ok := s.build.(interface {
			PruneCache(context.Context) (int, error)
		}); ok && now.Sub(pruned) >= 24*time.Hour {
			pruned = now
			if n, err := p.PruneCache(ctx); err != nil {
				s.log.Warn("pruning cached summaries", "error", err)
			} else if n > 0 {
				s.log.Info("pruned cached summaries of changed or deleted articles", "summaries", n)
			}
		}
		wake := s.nextRun(now)
		if err != nil {
			backoff = min(max(2*backoff, retryMin), retryMax)
			s.log.Warn("digest schedule: will retry", "in", backoff, "error", err)
			if retry := now.Add(backoff); wake.IsZero() || retry.Before(wake) {
				wake = retry
			}
		} else {
			backoff = 0
		}
		if wake.IsZero() {
			wake = now.Add(24 * time.Hour)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.clock.After(wake.Sub(now)):
		}
	}
}

// nextRun is the earliest run time of any job after now.
func (s *Scheduler) nextRun(now time.Time) time.Time {
	var next time.Time
	for _, j := range s.jobs {
		if t := j.Schedule.Next(now, 1); len(t) == 1 && (next.IsZero() || t[0].Before(next)) {
			next = t[0]
		}
	}
	return next
}

// Tick does what is due at now for every job: resumes unfinished runs,
// runs slots that have come, and applies the catch-up policy to missed
// ones. Errors of one job do not stop the others.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) error {
	var errs []error
	for _, j := range s.jobs {
		if err := s.safeTickJob(ctx, j, now); err != nil {
			errs = append(errs, fmt.Errorf("digest %s: %w", j.Spec.Name, err))
		}
	}
	return errors.Join(errs...)
}

// safeTickJob is tickJob with a panic turned into an error (as cron's
// Recover wrapper does), so one bad digest cannot stop the others.
func (s *Scheduler) safeTickJob(ctx context.Context, j Job, now time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("digest run panicked", "digest", j.Spec.Name, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.tickJob(ctx, j, now)
}

func (s *Scheduler) tickJob(ctx context.Context, j Job, now time.Time) error {
	name := j.Spec.Name
	last, ok, err := s.runs.LastRun(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		// First sight of this schedule: runs start from now on.
		w := j.Schedule.wall(now)
		_, _, err := s.runs.BeginRun(ctx, store.DigestRun{Digest: name, Slot: w.Format(slotFormat), Due: now,
			Channel: j.Spec.Channel, State: store.RunSkipped, Note: "schedule first seen", Updated: now})
		s.log.Info("digest schedule armed", "digest", name, "schedule", j.Schedule.String(), "zone", j.Schedule.Zone().String(),
			"next", first(j.Schedule.Next(now, 1)))
		return err
	}
	if last.State == store.RunPending {
		return s.resume(ctx, j, last, now)
	}
	lastWall, err := time.Parse(slotFormat, last.Slot)
	if err != nil {
		return fmt.Errorf("recorded slot %q: %w", last.Slot, err)
	}
	if floor := j.Schedule.wall(now.Add(-maxBacklog)); lastWall.Before(floor) {
		lastWall = floor
	}
	// The slots due since the last recorded one. Slots the clocks skipped
	// fall on the moment of the change, with the next slot maybe: those
	// fold into one run. Earlier ones were missed.
	var due, missed int
	var slot, at time.Time
	for w := j.Schedule.nextSlot(lastWall); !w.IsZero(); w = j.Schedule.nextSlot(w) {
		t := j.Schedule.instant(w)
		if t.After(now) {
			break
		}
		if due > 0 && t.After(at) {
			missed = due
		}
		due, slot, at = due+1, w, t
	}
	if due == 0 {
		return nil
	}
	late := now.Sub(at)
	switch {
	case late <= onTime:
		if missed > 0 {
			s.log.Warn("digest runs missed while down were skipped; running the current one",
				"digest", name, "missed", missed, "slot", slot.Format(slotFormat))
		}
		return s.start(ctx, j, slot, at, now, "")
	case j.CatchUp == CatchUpOnce && late <= j.Window:
		note := fmt.Sprintf("catch-up: %s late", late.Round(time.Second))
		s.log.Warn("catching up a digest run missed while down", "digest", name, "slot", slot.Format(slotFormat),
			"due", at, "late", late.Round(time.Second), "missed", due, "policy", string(j.CatchUp), "window", j.Window)
		return s.start(ctx, j, slot, at, now, note)
	default:
		reason := "catch_up is skip"
		if j.CatchUp == CatchUpOnce {
			reason = fmt.Sprintf("more than the %s catch-up window late", j.Window)
		}
		s.log.Warn("skipping digest runs missed while down", "digest", name, "slot", slot.Format(slotFormat),
			"due", at, "late", late.Round(time.Second), "missed", due, "reason", reason, "next", first(j.Schedule.Next(now, 1)))
		_, _, err := s.runs.BeginRun(ctx, store.DigestRun{Digest: name, Slot: slot.Format(slotFormat), Due: at,
			Channel: j.Spec.Channel, State: store.RunSkipped, Note: "missed: " + reason, Updated: now})
		return err
	}
}

func first(ts []time.Time) time.Time {
	if len(ts) == 0 {
		return time.Time{}
	}
	return ts[0]
}

// start builds the digest of one slot, records the intent and posts it.
func (s *Scheduler) start(ctx context.Context, j Job, slot, at, now time.Time, note string) error {
	key := slot.Format(slotFormat)
	d, err := s.build.Build(ctx, j.Spec, at)
	if err != nil {
		return fmt.Errorf("build the %s run: %w", key, err)
	}
	msgs := Render(d)
	run := store.DigestRun{Digest: j.Spec.Name, Slot: key, Due: at, Channel: j.Spec.Channel, Note: note, Updated: now}
	if j.Spec.withDefaults().Rule == SelectNew {
		run.Seq, run.Covered = d.Seq, d.Covered
	}
	if len(msgs) == 0 {
		run.State = store.RunDone
		run.Note = joinNote(note, "nothing to post: empty digest")
		_, _, err := s.runs.BeginRun(ctx, run)
		s.log.Info("digest empty: nothing posted", "digest", j.Spec.Name, "slot", key)
		return err
	}
	SetNonces(msgs, j.Spec.Name+"\x00"+key)
	for _, m := range msgs {
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		run.Messages = append(run.Messages, raw)
	}
	run.State = store.RunPending
	rec, created, err := s.runs.BeginRun(ctx, run)
	if err != nil {
		return err
	}
	if !created && rec.State != store.RunPending {
		return nil // recorded meanwhile (by another process)
	}
	return s.post(ctx, j, rec, now)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// resume finishes a run recorded as pending: posts what was not recorded
// as sent, with the recorded payloads and nonces. A run none of whose
// messages went out is dropped instead when it is now older than the
// catch-up policy allows.
func (s *Scheduler) resume(ctx context.Context, j Job, run store.DigestRun, now time.Time) error {
	late := now.Sub(run.Due)
	if len(run.Sent) == 0 && late > onTime && (j.CatchUp == CatchUpSkip || late > j.Window) {
		s.log.Warn("dropping an unsent digest run recorded before a restart: too late now", "digest", run.Digest,
			"slot", run.Slot, "late", late.Round(time.Second), "policy", string(j.CatchUp))
		_, err := s.runs.FinishRun(ctx, run.Digest, run.Slot, store.RunSkipped, "missed: unsent when digestbot stopped, too late to post", now)
		return err
	}
	s.log.Info("resuming a digest run recorded before a restart", "digest", run.Digest, "slot", run.Slot,
		"sent", len(run.Sent), "messages", len(run.Messages))
	return s.post(ctx, j, run, now)
}

// post sends the run's messages not yet recorded as sent, then records it
// done.
func (s *Scheduler) post(ctx context.Context, j Job, run store.DigestRun, now time.Time) error {
	for i := len(run.Sent); i < len(run.Messages); i++ {
		var m Message
		if err := json.Unmarshal(run.Messages[i], &m); err != nil {
			return fmt.Errorf("recorded message %d of the %s run: %w", i+1, run.Slot, err)
		}
		id, err := s.poster.Post(ctx, run.Channel, m)
		if undeliverable(err) {
			s.log.Error("digest cannot be delivered", "digest", run.Digest, "slot", run.Slot, "channel", run.Channel, "error", err)
			_, ferr := s.runs.FinishRun(ctx, run.Digest, run.Slot, store.RunFailed, err.Error(), now)
			return errors.Join(ferr)
		}
		if err != nil {
			return fmt.Errorf("post message %d of %d of the %s run (will retry): %w", i+1, len(run.Messages), run.Slot, err)
		}
		if err := s.runs.RecordSent(ctx, run.Digest, run.Slot, i, id, now); err != nil {
			return err
		}
	}
	if _, err := s.runs.FinishRun(ctx, run.Digest, run.Slot, store.RunDone, "", now); err != nil {
		return err
	}
	s.log.Info("digest posted", "digest", run.Digest, "slot", run.Slot, "channel", run.Channel, "messages", len(run.Messages))
	return s.runs.PruneRuns(ctx, run.Digest, keepRuns)
}

// Jobs returns the scheduler's jobs.
func (s *Scheduler) Jobs() []Job { return s.jobs }

// PostNow builds the digest spec describes as of at and posts it to
// spec.Channel at once: the manual trigger. It is recorded like a scheduled
// run, under spec.Name (default "manual-" + channel) and the minute of at in
// spec.Zone, so a repeated request in the same minute posts nothing twice:
// it returns the run already recorded, resuming it if it was cut short.
func (s *Scheduler) PostNow(ctx context.Context, spec Spec, at time.Time) (store.DigestRun, error) {
	if spec.Channel == "" {
		return store.DigestRun{}, errors.New("post a digest: no channel")
	}
	if spec.Name == "" {
		spec.Name = "manual-" + spec.Channel
	}
	zone := spec.Zone
	if zone == nil {
		zone = time.UTC
	}
	l := at.In(zone)
	slot := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
	j := Job{Spec: spec, CatchUp: CatchUpOnce, Window: DefaultCatchUpWindow}
	key := slot.Format(slotFormat)
	run, ok, err := s.runs.Run(ctx, spec.Name, key)
	switch {
	case err != nil:
		return store.DigestRun{}, err
	case ok && run.State == store.RunPending:
		err = s.post(ctx, j, run, at)
	case !ok:
		err = s.start(ctx, j, slot, at, at, "posted by hand")
	}
	if err != nil {
		return store.DigestRun{}, err
	}
	run, _, err = s.runs.Run(ctx, spec.Name, key)
	return run, err
}
