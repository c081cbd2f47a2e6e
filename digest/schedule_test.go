package digest

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestParseSchedule(t *testing.T) {
	for _, spec := range []string{"0 8 * * *", "30 7 * * 1-5", "@daily", "@weekly", "0 */6 * * *", " 15 9 1 * * "} {
		if _, err := ParseSchedule(spec, time.UTC); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
	for spec, want := range map[string]string{
		"":                           "empty schedule",
		"0 8 * *":                    "expected exactly 5 fields",
		"61 8 * * *":                 "61",
		"0 8 30 2 *":                 "never runs",
		"@every 1h":                  "@every is not supported",
		"TZ=Europe/Berlin 0 8 * * *": "timezone key",
		"every morning":              "want minute hour",
		"0 8 * * * *":                "expected exactly 5 fields",
	} {
		_, err := ParseSchedule(spec, time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to mention %q", spec, err, want)
		}
	}
}

// TestScheduleNextDST: each wall-clock slot runs once on daylight-saving
// change days — a skipped 02:30 at the moment of the change, a repeated
// one the first time only.
func TestScheduleNextDST(t *testing.T) {
	cases := []struct {
		name, zone, spec, from string
		want                   []string
	}{
		{"New York spring forward: 02:30 does not exist", "America/New_York", "30 2 * * *", "2024-03-09T12:00:00-05:00",
			[]string{"2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"}},
		{"New York fall back: 01:30 happens twice", "America/New_York", "30 1 * * *", "2024-11-02T12:00:00-04:00",
			[]string{"2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"}},
		{"New York fall back: 02:30 happens once", "America/New_York", "30 2 * * *", "2024-11-02T12:00:00-04:00",
			[]string{"2024-11-03T02:30:00-05:00", "2024-11-04T02:30:00-05:00"}},
		{"New York: from the repeated hour", "America/New_York", "30 1 * * *", "2024-11-03T01:10:00-05:00",
			[]string{"2024-11-04T01:30:00-05:00"}},
		{"Berlin spring forward: 02:30 does not exist", "Europe/Berlin", "30 2 * * *", "2024-03-30T12:00:00+01:00",
			[]string{"2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"}},
		{"Berlin fall back: 02:30 happens twice", "Europe/Berlin", "30 2 * * *", "2024-10-26T12:00:00+02:00",
			[]string{"2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"}},
		{"Berlin: from between the two 02:30s", "Europe/Berlin", "30 2 * * *", "2024-10-27T02:10:00+01:00",
			[]string{"2024-10-28T02:30:00+01:00"}},
		{"Berlin hourly across fall back", "Europe/Berlin", "0 * * * *", "2024-10-27T00:30:00+02:00",
			[]string{"2024-10-27T01:00:00+02:00", "2024-10-27T02:00:00+02:00", "2024-10-27T03:00:00+01:00"}},
		{"Berlin hourly across spring forward", "Europe/Berlin", "0 * * * *", "2024-03-31T00:30:00+01:00",
			[]string{"2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00"}},
		{"weekdays at 07:30 in UTC", "UTC", "30 7 * * 1-5", "2024-07-05T08:00:00Z",
			[]string{"2024-07-08T07:30:00Z", "2024-07-09T07:30:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSchedule(c.spec, mustZone(t, c.zone))
			if err != nil {
				t.Fatal(err)
			}
			from, _ := time.Parse(time.RFC3339, c.from)
			var got []string
			for _, at := range s.Next(from, len(c.want)) {
				got = append(got, at.In(s.Zone()).Format(time.RFC3339))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("next after %s:\n got  %v\n want %v", c.from, got, c.want)
			}
		})
	}
}

// TestScheduleInstantEveryZone: every wall-clock time of a year maps to an
// instant at or after it (the same when it exists), in many zones.
func TestScheduleInstantEveryZone(t *testing.T) {
	for _, name := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia", "America/Santiago", "UTC"} {
		s, err := ParseSchedule("0 * * * *", mustZone(t, name))
		if err != nil {
			t.Fatal(err)
		}
		w := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 366*24*2; i++ {
			at := s.instant(w)
			got := s.wall(at)
			if got.Before(w) || got.Sub(w) > 2*time.Hour {
				t.Fatalf("%s: wall %s → %s (%s)", name, w, at.In(s.Zone()), got)
			}
			if back := s.wall(at.Add(-time.Nanosecond)); got != w && !back.Before(w) {
				t.Fatalf("%s: wall %s skipped but %s is not the jump", name, w, at.In(s.Zone()))
			}
			w = w.Add(30 * time.Minute)
		}
	}
}

// FuzzParseSchedule: any spec parses or fails with a message, never
// panics, and a parsed schedule gives increasing run times.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0 8 * * *", "30 2 * * *", "@daily", "*/15 9-17 * * 1-5", "0 0 29 2 *", "TZ=UTC 0 8 * * *", "@every 5m", "", "* * * * * *"} {
		f.Add(s)
	}
	berlin := mustZone(f, "Europe/Berlin")
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec, berlin)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		next := s.Next(time.Date(2024, 10, 26, 22, 0, 0, 0, time.UTC), 5)
		for i := 1; i < len(next); i++ {
			if !next[i].After(next[i-1]) {
				t.Fatalf("%q: run times not increasing: %v", spec, next)
			}
		}
	})
}
