package corpus

import (
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	// Thursday 2026-11-26, late evening in Tokyo: still the 26th there.
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	now := time.Date(2026, 11, 26, 23, 30, 0, 0, tokyo)
	cases := []struct {
		in       string
		from, to string
		err      string
	}{
		{in: "2023-07-03", from: "2023-07-03", to: "2023-07-03"},
		{in: " 2023-07 ", from: "2023-07-01", to: "2023-07-31"},
		{in: "2024-02", from: "2024-02-01", to: "2024-02-29"},
		{in: "2023", from: "2023-01-01", to: "2023-12-31"},
		{in: "2023-01-01..2023-08-31", from: "2023-01-01", to: "2023-08-31"},
		{in: "2023-01..2023-02", from: "2023-01-01", to: "2023-02-28"},
		{in: "2021..2022-06", from: "2021-01-01", to: "2022-06-30"},
		{in: "2023-01-01..", from: "2023-01-01", to: "9999-12-31"},
		{in: "..2023-01", from: "0001-01-01", to: "2023-01-31"},
		{in: "today", from: "2026-11-26", to: "2026-11-26"},
		{in: "Yesterday", from: "2026-11-25", to: "2026-11-25"},
		{in: "this-week", from: "2026-11-23", to: "2026-11-29"},
		{in: "last-week", from: "2026-11-16", to: "2026-11-22"},
		{in: "this-month", from: "2026-11-01", to: "2026-11-30"},
		{in: "last-month", from: "2026-10-01", to: "2026-10-31"},
		{in: "last-year", from: "2025-01-01", to: "2025-12-31"},
		{in: "2023-02-30", err: "has no day 30"},
		{in: "2023-13", err: "no month 13"},
		{in: "2023-00-10", err: "no month 0"},
		{in: "0000", err: "year 0000"},
		{in: "2023-7-3", err: "not understood"},
		{in: "July 2023", from: "2023-07-01", to: "2023-07-31"},
		{in: "Jul 2023", from: "2023-07-01", to: "2023-07-31"},
		{in: "sept. 2024", from: "2024-09-01", to: "2024-09-30"},
		{in: "march 15 2024", from: "2024-03-15", to: "2024-03-15"},
		{in: "March 15, 2024", from: "2024-03-15", to: "2024-03-15"},
		{in: "15th of March 2024", from: "2024-03-15", to: "2024-03-15"},
		{in: "2024/03/15", from: "2024-03-15", to: "2024-03-15"},
		{in: "2024年3月", from: "2024-03-01", to: "2024-03-31"},
		{in: "July 2023..Sep 2023", from: "2023-07-01", to: "2023-09-30"},
		{in: "February 30 2023", err: "does not exist"},
		{in: "July 2023 or so", err: "not understood"},
		{in: "Julember 2023", err: "not understood"},
		{in: "", err: "empty date"},
		{in: "..", err: "neither a start nor an end"},
		{in: "2023-08-31..2023-01-01", err: "ends before it starts"},
		{in: "2023-02-30..2023-03-01", err: "has no day 30"},
	}
	for _, c := range cases {
		r, err := ParseWhen(c.in, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseWhen(%q) error = %v, want it to contain %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseWhen(%q): %v", c.in, err)
			continue
		}
		if got := r.From.Format(time.DateOnly); got != c.from {
			t.Errorf("ParseWhen(%q).From = %s, want %s", c.in, got, c.from)
		}
		if got := r.To.Format(time.DateOnly); got != c.to {
			t.Errorf("ParseWhen(%q).To = %s, want %s", c.in, got, c.to)
		}
	}
	// Sunday belongs to the week that began on the Monday before it.
	sunday := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	if r, _ := ParseWhen("this-week", sunday); r.String() != "2026-11-23..2026-11-29" {
		t.Errorf("this-week on a Sunday = %s", r)
	}
}

func TestRangeString(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct{ in, str, phrase string }{
		{"..2022-01-01", "until 1 January 2022", "until 1 January 2022"},
		{"2023-08-01..", "since 1 August 2023", "since 1 August 2023"},
		{"2023-07-03", "2023-07-03", "on 2023-07-03"},
		{"2023-07", "2023-07-01..2023-07-31", "in July 2023"},
		{"2023", "2023-01-01..2023-12-31", "in 2023"},
		{"2023-07..2023-08", "2023-07-01..2023-08-31", "within 2023-07-01..2023-08-31"},
	}
	for _, c := range cases {
		r, err := ParseWhen(c.in, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != c.str || r.Phrase() != c.phrase {
			t.Errorf("%q: String %q, Phrase %q; want %q, %q", c.in, r, r.Phrase(), c.str, c.phrase)
		}
	}
	if !Unbounded().OpenStart() || !Unbounded().OpenEnd() || Unbounded().String() != "any date" {
		t.Errorf("Unbounded() = %s", Unbounded())
	}
}

func TestRangeContains(t *testing.T) {
	r, _ := ParseWhen("2023-07", time.Now())
	day, _ := DayDate(2023, 7, 3, FromBody)
	month, _ := MonthDate(2023, 7, FromBody)
	year, _ := YearDate(2023, FromBody)
	if !r.Contains(day) || !r.Contains(month) || r.Contains(year) || r.Contains(Date{}) {
		t.Error("month range: want day and month in, year and unknown out")
	}
	one, _ := ParseWhen("2023-07-03", time.Now())
	if one.Contains(month) {
		t.Error("a month-precision date must not be claimed for one day")
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2023-07-03", "2023-07", "2023", "2023-01-01..2023-08-31", "today", "..2023", "2023-02-30", "9999-12..", "last-week",
		"July 2023", "jul 2023", "march 15 2024", "15th of March, 2024", "2024/03/15", "2024年3月15日", "Sept. 2024..", "..1 jan 2022"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseWhen(s, now)
		if err != nil {
			return
		}
		if r.From.After(r.To) {
			t.Fatalf("ParseWhen(%q) = %s: starts after it ends", s, r)
		}
		// Its description never shows the placeholder years of open ends.
		if d := r.String(); strings.Contains(d, "0001-") || strings.Contains(d, "9999-") {
			t.Fatalf("ParseWhen(%q) is described as %q", s, d)
		}
	})
}
