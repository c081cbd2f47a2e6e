package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
)

// SchedulerSlot holds the running digest scheduler; a reload swaps it.
type SchedulerSlot struct {
	mu    sync.Mutex
	s     *digest.Scheduler
	alive atomic.Bool // its Run loop is running
}

// Get returns the current scheduler (nil before the first Set).
func (h *SchedulerSlot) Get() *digest.Scheduler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s
}

// Set makes s the current scheduler.
func (h *SchedulerSlot) Set(s *digest.Scheduler) {
	h.mu.Lock()
	h.s = s
	h.mu.Unlock()
}

// Alive reports whether the current scheduler's Run loop is running.
func (h *SchedulerSlot) Alive() bool { return h.alive.Load() }

// Digests previews, posts and lists digests for the bot (bot.Digests).
type Digests struct {
	Service *digest.Service
	Sched   *SchedulerSlot   // a reload swaps the scheduler
	Zone    *time.Location   // of a digest not configured
	Now     func() time.Time // in the configured zone
}

// spec is the digest rule would give channel: the configured digest of
// that channel and rule when there is one (its title, limits and
// filters), else the defaults.
func (d Digests) spec(channel, rule string) (digest.Spec, error) {
	r, err := digest.ParseRule(rule) // an apperr.Invalid the bot shows
	if err != nil {
		return digest.Spec{}, err
	}
	for _, j := range d.Sched.Get().Jobs() {
		if j.Spec.Channel == channel && j.Spec.Rule == r {
			return j.Spec, nil
		}
	}
	return digest.Spec{Channel: channel, Rule: r, Zone: d.Zone}, nil
}

// moment is when to build the digest: now, or so that it covers day.
func (d Digests) moment(spec digest.Spec, day time.Time) time.Time {
	if day.IsZero() {
		return d.Now()
	}
	return spec.MomentCovering(day)
}

// Preview builds the digest rule would post in channel (covering day, or
// now when day is zero) and renders it, recording nothing.
func (d Digests) Preview(ctx context.Context, channel, rule string, day time.Time) (bot.DigestPreview, error) {
	spec, err := d.spec(channel, rule)
	if err != nil {
		return bot.DigestPreview{}, err
	}
	dg, err := d.Service.Build(ctx, spec, d.moment(spec, day))
	if err != nil {
		return bot.DigestPreview{}, err
	}
	p := bot.DigestPreview{Title: dg.Title, Articles: len(dg.Items), Covers: dg.Coverage()}
	if dg.Empty() && !spec.PostWhenEmpty {
		return p, nil
	}
	for _, m := range digest.Render(dg) {
		p.Messages = append(p.Messages, BotMessage(m))
	}
	return p, nil
}

// Post posts that digest now through the running scheduler (recorded as
// its runs are) and returns how many messages were sent.
func (d Digests) Post(ctx context.Context, channel, rule string, day time.Time) (int, error) {
	spec, err := d.spec(channel, rule)
	if err != nil {
		return 0, err
	}
	run, err := d.Sched.Get().PostNow(ctx, spec, d.moment(spec, day))
	if err != nil {
		return 0, err
	}
	return len(run.Sent), nil
}

// Schedules lists the scheduled digests of channel ("" for all) with their
// next three runs.
func (d Digests) Schedules(_ context.Context, channel string) ([]bot.ScheduleInfo, error) {
	var out []bot.ScheduleInfo
	for _, j := range d.Sched.Get().Jobs() {
		if (channel != "" && j.Spec.Channel != channel) || j.Schedule == nil {
			continue
		}
		out = append(out, bot.ScheduleInfo{
			Name: j.Spec.Name, Channel: j.Spec.Channel, Spec: j.Schedule.String(), Zone: j.Schedule.Zone().String(),
			Select: string(j.Spec.Rule), Covers: j.Spec.Coverage(), Next: j.Schedule.Next(d.Now(), 3),
		})
	}
	return out, nil
}

// DigestMoment is the moment a digest is built for: now, or the moment at
// which it covers the one day date names (in the spec's zone, UTC when it
// has none).
func DigestMoment(now time.Time, date string, spec digest.Spec) (time.Time, error) {
	zone := spec.Zone
	if zone == nil {
		zone = time.UTC
	}
	if date == "" {
		return now.In(zone), nil
	}
	r, err := corpus.ParseWhen(date, now.In(zone))
	if err != nil {
		return time.Time{}, err
	}
	if !r.From.Equal(r.To) {
		return time.Time{}, fmt.Errorf("--date must be one day (2024-07-03, today, yesterday), got %q", date)
	}
	return spec.MomentCovering(r.From), nil
}

// ClockFunc is a digest.Clock reading the time from a function.
type ClockFunc func() time.Time

// Now returns c().
func (c ClockFunc) Now() time.Time { return c() }

// After waits d of real time.
func (c ClockFunc) After(d time.Duration) <-chan time.Time { return time.After(d) }
