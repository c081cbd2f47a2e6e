package corpus

import (
	"strings"
	"testing"
	"time"
)

func TestArchiveStats(t *testing.T) {
	day := func(y, m, d int) Date { dd, _ := DayDate(y, time.Month(m), d, FromHeader); return dd }
	month, _ := MonthDate(2023, 9, FromBody)
	year, _ := YearDate(2021, FromBody)
	arts := []Article{
		{Source: "a.txt", Date: day(2023, 7, 3)},
		{Source: "b.txt", Date: day(2023, 7, 20)},
		{Source: "c.txt", Date: month},
		{Source: "d.txt", Date: year},
		{Source: "d.txt"}, // undated, same file name in another folder
	}
	s := ArchiveStats(arts)
	if s.Articles != 5 || s.Sources != 4 || s.Undated != 1 || s.YearOnly != 1 {
		t.Fatalf("counts: %+v", s)
	}
	if s.First.Format("2006-01-02") != "2021-01-01" || s.Last.Format("2006-01-02") != "2023-09-30" {
		t.Errorf("span %s..%s", s.First, s.Last)
	}
	want := "2023-07 ██████████ 2\n2023-08            0\n2023-09 █████      1\n"
	if got := s.Histogram(10, 0); got != want {
		t.Errorf("histogram:\n%s\nwant:\n%s", got, want)
	}
	if got := s.Histogram(10, 2); !strings.HasPrefix(got, "(1 earlier months: 2 articles)\n2023-08") {
		t.Errorf("capped histogram:\n%s", got)
	}
	sum := s.Summary()
	for _, w := range []string{"articles   5", "sources    4 files", "dates      1 January 2021 to 30 September 2023", "undated    1", "year only  1"} {
		if !strings.Contains(sum, w) {
			t.Errorf("summary lacks %q:\n%s", w, sum)
		}
	}
	if got := ArchiveStats(nil); got.Histogram(10, 0) != "" || !strings.Contains(got.Summary(), "none dated") {
		t.Errorf("empty archive: %+v", got)
	}
	if got := bar(1, 1000, 10); got != "▏         " {
		t.Errorf("a sliver for a small count: %q", got)
	}
}
