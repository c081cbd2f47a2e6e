package corpus

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Range is an inclusive span of calendar days, as asked for by a WHEN
// expression. From and To are UTC midnights.
type Range struct {
	From, To time.Time
}

// String formats the range as "2023-07-03" for one day,
// "2023-01-01..2023-08-31", and an open range as "until 1 January 2022" or
// "since 1 August 2023" (never with the placeholder years 0001 or 9999).
func (r Range) String() string {
	switch {
	case r.OpenStart() && r.OpenEnd():
		return "any date"
	case r.OpenStart():
		return "until " + longDay(r.To)
	case r.OpenEnd():
		return "since " + longDay(r.From)
	case r.From.Equal(r.To):
		return r.From.Format(time.DateOnly)
	}
	return r.From.Format(time.DateOnly) + ".." + r.To.Format(time.DateOnly)
}

// Phrase is the range as it follows "dated": "on 2023-07-03", "in July
// 2023", "in 2023", "within 2023-01-01..2023-08-31", "until 1 January
// 2022".
func (r Range) Phrase() string {
	wholeMonth := r.From.Day() == 1 && r.To.Equal(r.From.AddDate(0, 1, -1))
	switch {
	case r.OpenStart() && r.OpenEnd():
		return "at any date"
	case r.OpenStart(), r.OpenEnd():
		return r.String()
	case r.From.Equal(r.To):
		return "on " + r.String()
	case wholeMonth:
		return "in " + r.From.Format("January 2006")
	case r.From.YearDay() == 1 && r.To.Equal(r.From.AddDate(1, 0, -1)):
		return "in " + r.From.Format("2006")
	}
	return "within " + r.String()
}

// OpenStart reports whether the range has no start ("..2022-01-01").
func (r Range) OpenStart() bool { return !r.From.After(minDay) }

// OpenEnd reports whether the range has no end ("2023-08-01..").
func (r Range) OpenEnd() bool { return !r.To.Before(maxDay) }

// Unbounded is the range of every date: what an open end of a range
// extends to.
func Unbounded() Range { return Range{From: minDay, To: maxDay} }

func longDay(t time.Time) string { return t.Format("2 January 2006") }

// Contains reports whether a date lies wholly within the range. A date known
// only to the month is within its month and year but not within one day of
// it; an unknown date is within nothing.
func (r Range) Contains(d Date) bool {
	first, last, ok := d.Span()
	return ok && !first.Before(r.From) && !last.After(r.To)
}

// The bounds used for an open end of a range ("2023-01..", "..2023-08-31").
var (
	minDay = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDay = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// ParseWhen parses a WHEN expression into a range of days. It accepts
//
//	2023-07-03            one day
//	2023-07               a month
//	2023                  a year
//	July 2023, Jul 2023, march 15 2024, 15 March 2024, 2024/03/15
//	                      the spellings ingest reads in article headers
//	A..B                  from the start of A to the end of B, each of the
//	                      above; either side may be left empty (open end)
//	today, yesterday      relative to now, in now's location
//	this-week, last-week  Monday to Sunday weeks
//	this-month, last-month, this-year, last-year
//
// now supplies the clock and the time zone for the relative forms; pass
// the current time in the configured zone. Errors say what was wrong.
func ParseWhen(s string, now time.Time) (Range, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return Range{}, fmt.Errorf("empty date: give a day (2023-07-03), a month (2023-07), a year (2023), a range (2023-01-01..2023-08-31), or today/yesterday/last-week")
	}
	if a, b, ok := strings.Cut(in, ".."); ok {
		lo, hi := Range{From: minDay}, Range{To: maxDay}
		var err error
		if a = strings.TrimSpace(a); a != "" {
			if lo, err = parseWhenPart(a, now); err != nil {
				return Range{}, err
			}
		}
		if b = strings.TrimSpace(b); b != "" {
			if hi, err = parseWhenPart(b, now); err != nil {
				return Range{}, err
			}
		}
		if a == "" && b == "" {
			return Range{}, fmt.Errorf("date range %q has neither a start nor an end", s)
		}
		r := Range{From: lo.From, To: hi.To}
		if r.From.After(r.To) {
			return Range{}, fmt.Errorf("date range %q ends before it starts", s)
		}
		return r, nil
	}
	return parseWhenPart(in, now)
}

func parseWhenPart(s string, now time.Time) (Range, error) {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	week := func(offset int) Range {
		// Monday-based: Sunday is day 7 of its week.
		wd := int(today.Weekday()+6) % 7
		start := today.AddDate(0, 0, -wd+7*offset)
		return Range{From: start, To: start.AddDate(0, 0, 6)}
	}
	month := func(offset int) Range {
		start := time.Date(y, m+time.Month(offset), 1, 0, 0, 0, 0, time.UTC)
		return Range{From: start, To: start.AddDate(0, 1, -1)}
	}
	year := func(y int) Range {
		return Range{From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)}
	}
	switch s {
	case "today":
		return Range{From: today, To: today}, nil
	case "yesterday":
		t := today.AddDate(0, 0, -1)
		return Range{From: t, To: t}, nil
	case "this-week":
		return week(0), nil
	case "last-week":
		return week(-1), nil
	case "this-month":
		return month(0), nil
	case "last-month":
		return month(-1), nil
	case "this-year":
		return year(y), nil
	case "last-year":
		return year(y - 1), nil
	}

	parts := strings.Split(s, "-")
	if len(parts) > 3 {
		return Range{}, whenError(s)
	}
	if !isDigit(s[0]) || strings.ContainsAny(s, " /.年") {
		return writtenDate(s)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		want := 2
		if i == 0 {
			want = 4
		}
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != want || n < 0 {
			return Range{}, whenError(s)
		}
		nums[i] = n
	}
	if nums[0] < 1 {
		return Range{}, fmt.Errorf("date %q: year 0000 does not exist", s)
	}
	if len(nums) == 1 {
		return year(nums[0]), nil
	}
	if nums[1] < 1 || nums[1] > 12 {
		return Range{}, fmt.Errorf("date %q: there is no month %d", s, nums[1])
	}
	mo := time.Month(nums[1])
	if len(nums) == 2 {
		start := time.Date(nums[0], mo, 1, 0, 0, 0, 0, time.UTC)
		return Range{From: start, To: start.AddDate(0, 1, -1)}, nil
	}
	if _, ok := DayDate(nums[0], mo, nums[2], FromNone); !ok {
		return Range{}, fmt.Errorf("date %q: %s %d has no day %d", s, mo, nums[0], nums[2])
	}
	t := time.Date(nums[0], mo, nums[2], 0, 0, 0, 0, time.UTC)
	return Range{From: t, To: t}, nil
}

// writtenDate reads the spellings article headers use ("July 2023",
// "march 15 2024", "15 March 2024", "2024/03/15"): the date grammar ingest
// uses, so whatever a header may say, /date understands.
func writtenDate(s string) (Range, error) {
	raw, n := scanDate(s, true)
	if n == 0 || strings.TrimSpace(s[n:]) != "" {
		return Range{}, whenError(s)
	}
	d, ok := raw.date(FromNone)
	if !ok {
		return Range{}, fmt.Errorf("date %q does not exist (or is outside %d..%d)", s, minYear, maxYear)
	}
	first, last, _ := d.Span()
	return Range{From: first, To: last}, nil
}

func whenError(s string) error {
	return fmt.Errorf("date %q not understood: use a day (2023-07-03, March 15 2024), a month (2023-07, July 2023), a year (2023), a range (2023-01-01..2023-08-31), or today, yesterday, this-week, last-week, this-month, last-month, this-year, last-year", s)
}
