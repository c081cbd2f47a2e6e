package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/digest"
)

func TestDigestMoment(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	now := time.Date(2024, 7, 3, 22, 30, 0, 0, time.UTC) // 00:30 on the 4th in Berlin
	day := digest.Spec{Rule: digest.SelectDay, Zone: berlin}
	today := digest.Spec{Rule: digest.SelectDay, Covers: digest.CoversToday, Zone: berlin}
	for _, c := range []struct {
		name, date string
		spec       digest.Spec
		want       time.Time
		err        string
	}{
		{"now, in the spec's zone", "", day, now.In(berlin), ""},
		{"no zone is UTC", "", digest.Spec{}, now, ""},
		{"a day digest covering yesterday runs the next day", "2024-07-01", day, time.Date(2024, 7, 2, 23, 59, 59, 0, berlin), ""},
		{"covers today runs that day", "2024-07-01", today, time.Date(2024, 7, 1, 23, 59, 59, 0, berlin), ""},
		{"yesterday is read in the spec's zone", "yesterday", today, time.Date(2024, 7, 3, 23, 59, 59, 0, berlin), ""},
		{"a month is not a day", "2024-07", day, time.Time{}, "--date must be one day"},
		{"nonsense", "someday", day, time.Time{}, "someday"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DigestMoment(now, c.date, c.spec)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("DigestMoment = %v, %v; want an error with %q", got, err, c.err)
				}
				return
			}
			if err != nil || !got.Equal(c.want) || got.Location() != c.want.Location() {
				t.Errorf("DigestMoment = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestDigestsSpecAndSchedules(t *testing.T) {
	every, err := digest.ParseSchedule("0 8 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	jobs := []digest.Job{
		{Spec: digest.Spec{Name: "morning", Channel: "1", Rule: digest.SelectDay, Title: "Morning news", MaxArticles: 3}, Schedule: every},
		{Spec: digest.Spec{Name: "other", Channel: "2", Rule: digest.SelectNew}, Schedule: every},
	}
	sched, err := digest.NewScheduler(jobs, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var slot SchedulerSlot
	slot.Set(sched)
	now := time.Date(2024, 7, 3, 9, 0, 0, 0, time.UTC)
	d := Digests{Sched: &slot, Zone: time.UTC, Now: func() time.Time { return now }}

	sp, err := d.spec("1", "day")
	if err != nil || sp.Name != "morning" || sp.MaxArticles != 3 {
		t.Errorf("channel 1, day: %+v, %v; want the configured digest", sp, err)
	}
	sp, err = d.spec("1", "new")
	if err != nil || sp.Name != "" || sp.Channel != "1" || sp.Rule != digest.SelectNew || sp.Zone != time.UTC {
		t.Errorf("channel 1, new: %+v, %v; want the defaults", sp, err)
	}
	if _, err := d.spec("1", "weekly"); err == nil {
		t.Error("an unknown rule was accepted")
	}
	if got := d.moment(sp, time.Time{}); !got.Equal(now) {
		t.Errorf("moment without a day = %v, want now", got)
	}

	all, _ := d.Schedules(context.Background(), "")
	one, _ := d.Schedules(context.Background(), "2")
	if len(all) != 2 || len(one) != 1 || one[0].Name != "other" {
		t.Fatalf("schedules: all %d, channel 2 %+v", len(all), one)
	}
	if n := all[0].Next; len(n) != 3 || !n[0].Equal(time.Date(2024, 7, 4, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("next runs %v", n)
	}
}
