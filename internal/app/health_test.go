package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/store"
)

// fakeRuns is a RunHistory in memory.
type fakeRuns struct {
	runs map[string][]store.DigestRun
	err  error
}

func (f *fakeRuns) Runs(_ context.Context, name string) ([]store.DigestRun, error) {
	return f.runs[name], f.err
}

func TestOverdue(t *testing.T) {
	ctx := context.Background()
	sched, err := digest.ParseSchedule("0 8 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	job := digest.Job{Spec: digest.Spec{Name: "morning", Channel: "1"}, Schedule: sched}
	started := time.Date(2024, 7, 3, 6, 0, 0, 0, time.UTC)
	ran := []store.DigestRun{{Digest: "morning", Slot: "2024-07-03T08:00", State: store.RunDone}}
	at := func(d, h, m int) time.Time { return time.Date(2024, 7, d, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		name string
		runs []store.DigestRun
		now  time.Time
		want string // "" for on time
	}{
		{"not due yet", nil, at(3, 7, 0), ""},
		{"within the grace", nil, at(3, 8, 5), ""},
		{"the silent stop", nil, at(3, 8, 30), "digest morning overdue: due 2024-07-03 08:00 UTC, not run"},
		{"run recorded", ran, at(3, 8, 30), ""},
		{"next day's slot missed", ran, at(4, 9, 0), "due 2024-07-04 08:00"},
		{"a slot before the start is not owed", nil, started.Add(-time.Hour), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Overdue(ctx, &fakeRuns{runs: map[string][]store.DigestRun{"morning": c.runs}}, job, started, c.now)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("overdue = %v, want on time", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("overdue = %v, want %q", err, c.want)
			}
		})
	}
	broken := &fakeRuns{err: errors.New("etcd unreachable")}
	if err := Overdue(ctx, broken, job, started, at(3, 9, 0)); err == nil || !strings.Contains(err.Error(), "digest morning: etcd unreachable") {
		t.Errorf("unreadable runs: %v", err)
	}
}

func TestStats(t *testing.T) {
	t1 := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	for _, c := range []struct {
		name string
		runs []store.DigestRun
		want RunStats
	}{
		{"none", nil, RunStats{}},
		{"latest success wins, in any order", []store.DigestRun{{State: store.RunDone, Updated: t2}, {State: store.RunDone, Updated: t1}}, RunStats{LastOK: t2}},
		{"failures counted, pending ignored", []store.DigestRun{{State: store.RunFailed, Updated: t2}, {State: store.RunDone, Updated: t1}, {State: store.RunFailed}, {State: store.RunPending, Updated: t2.Add(time.Hour)}}, RunStats{LastOK: t1, Failed: 2}},
	} {
		if got := Stats(c.runs); !got.LastOK.Equal(c.want.LastOK) || got.Failed != c.want.Failed {
			t.Errorf("%s: Stats = %+v, want %+v", c.name, got, c.want)
		}
	}
}
