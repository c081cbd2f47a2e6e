package app

import (
	"context"
	"fmt"
	"time"

	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/store"
)

// OverdueGrace is how late a digest may be before Overdue reports it.
const OverdueGrace = 10 * time.Minute

// RunHistory lists the runs of a digest (*store.DB, *cluster.RunLog),
// oldest slot first.
type RunHistory interface {
	Runs(ctx context.Context, digest string) ([]store.DigestRun, error)
}

// Overdue reports a digest whose latest slot since started, more than
// OverdueGrace before now, has no run recorded: the silent stop.
func Overdue(ctx context.Context, runs RunHistory, j digest.Job, started, now time.Time) error {
	var due time.Time
	for _, t := range j.Schedule.Next(started, 1000) {
		if t.After(now.Add(-OverdueGrace)) {
			break
		}
		due = t
	}
	if due.IsZero() {
		return nil
	}
	slot := due.In(j.Schedule.Zone()).Format("2006-01-02T15:04")
	rs, err := runs.Runs(ctx, j.Spec.Name)
	if err != nil {
		return fmt.Errorf("digest %s: %w", j.Spec.Name, err)
	}
	if len(rs) == 0 || rs[len(rs)-1].Slot < slot {
		return fmt.Errorf("digest %s overdue: due %s, not run", j.Spec.Name, due.In(j.Schedule.Zone()).Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// RunStats sums up a digest's recorded runs.
type RunStats struct {
	LastOK time.Time // the latest run that posted (or had nothing to post); zero for none
	Failed int       // runs that could not be delivered
}

// Stats sums up runs.
func Stats(runs []store.DigestRun) RunStats {
	var st RunStats
	for _, r := range runs {
		switch r.State {
		case store.RunDone:
			if r.Updated.After(st.LastOK) {
				st.LastOK = r.Updated
			}
		case store.RunFailed:
			st.Failed++
		}
	}
	return st
}
