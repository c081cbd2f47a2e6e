package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is when a digest runs: a cron spec read on the wall clock of a
// time zone. Each wall-clock time the spec names is one slot and runs at
// most once, so daylight-saving changes neither double nor drop a run:
//
//   - a slot the clocks skip (02:30 when clocks go from 02:00 to 03:00)
//     runs at the moment of the change (03:00 local);
//   - a slot the clocks show twice (02:30 in Berlin when they go from 03:00
//     back to 02:00) runs the first time only.
//
// Slots are computed with robfig/cron's parser on the wall-clock time as
// if it were UTC, where no day has 23 or 25 hours, and then placed on the
// real time line in the zone.
type Schedule struct {
	spec string
	cron *cron.SpecSchedule // evaluated on wall-clock times in UTC
	zone *time.Location
}

// cronParser reads standard five-field specs ("30 7 * * 1-5") and the
// descriptors @yearly, @monthly, @weekly, @daily and @hourly.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec for the zone. Errors say what is wrong
// with the spec.
func ParseSchedule(spec string, zone *time.Location) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, errors.New(`empty schedule: give a cron spec such as "0 8 * * *" (08:00 every day)`)
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return nil, fmt.Errorf("schedule %q: set the time zone with the digest's timezone key, not in the spec", spec)
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("schedule %q: @every is not supported; use a calendar spec such as \"0 */6 * * *\"", spec)
	}
	if zone == nil {
		zone = time.UTC
	}
	parsed, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v (want minute hour day-of-month month day-of-week, e.g. \"0 8 * * *\")", spec, err)
	}
	ss, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("schedule %q: not a calendar schedule", spec)
	}
	wall := *ss
	wall.Location = time.UTC
	s := &Schedule{spec: spec, cron: &wall, zone: zone}
	// A spec like "0 0 30 2 *" (30 February) never fires.
	if s.cron.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("schedule %q never runs", spec)
	}
	return s, nil
}

// String returns the spec.
func (s *Schedule) String() string { return s.spec }

// Zone returns the schedule's time zone.
func (s *Schedule) Zone() *time.Location { return s.zone }

// slotFormat keys a slot: its wall-clock time, to the minute.
const slotFormat = "2006-01-02T15:04"

// wall returns the wall-clock time of t in the zone, as a UTC time.
func (s *Schedule) wall(t time.Time) time.Time {
	l := t.In(s.zone)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// nextSlot returns the first slot strictly after wall-clock time w.
func (s *Schedule) nextSlot(w time.Time) time.Time { return s.cron.Next(w) }

// instant returns when wall-clock time w happens in the zone: its first
// occurrence when the clocks show it twice, the moment the clocks jump
// over it when they skip it.
func (s *Schedule) instant(w time.Time) time.Time {
	// An instant showing w has an offset within [-14h, +14h] of w read as UTC.
	from, to := w.Add(-15*time.Hour), w.Add(15*time.Hour)
	var best time.Time
	var bounds []time.Time
	for t, i := from, 0; i < 16; i++ {
		l := t.In(s.zone)
		_, off := l.Zone()
		start, end := l.ZoneBounds()
		if c := w.Add(-time.Duration(off) * time.Second); (start.IsZero() || !c.Before(start)) && (end.IsZero() || c.Before(end)) {
			if best.IsZero() || c.Before(best) {
				best = c
			}
		}
		if end.IsZero() || end.After(to) {
			break
		}
		bounds = append(bounds, end)
		t = end
	}
	if !best.IsZero() {
		return best
	}
	for _, b := range bounds {
		if s.wall(b).After(w) {
			return b
		}
	}
	// Unreachable for real zones; fall back to Go's reading.
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, s.zone)
}

// Next returns the next n run times strictly after t.
func (s *Schedule) Next(t time.Time, n int) []time.Time {
	var out []time.Time
	w := s.wall(t)
	// Start an hour of wall clock back: after clocks are set back, slots
	// shortly before the wall-clock time of t may still lie ahead.
	for slot := s.nextSlot(w.Add(-time.Hour)); !slot.IsZero() && len(out) < n; slot = s.nextSlot(slot) {
		if at := s.instant(slot); at.After(t) && (len(out) == 0 || at.After(out[len(out)-1])) {
			out = append(out, at)
		}
	}
	return out
}
