package corpus

import (
	"fmt"
	"strings"
	"time"
)

// Stats is an archive at a glance: how many articles, from how many source
// files, the span of their dates and how many fall in each month.
type Stats struct {
	Articles int
	// Sources counts the distinct source file names.
	Sources int
	// Undated articles have no date; YearOnly ones are dated to a year.
	Undated, YearOnly int
	// First and Last are the first and last days any dated article covers
	// (zero when none is dated).
	First, Last time.Time
	// Months counts the articles dated to a day or a month, for every month
	// from the first to the last such article, empty months included.
	Months []MonthCount
}

// MonthCount is the number of articles dated within one month.
type MonthCount struct {
	Month time.Time // its first day, UTC
	Count int
}

// ArchiveStats counts articles (their bodies are not needed).
func ArchiveStats(arts []Article) Stats {
	var s Stats
	sources := map[string]bool{}
	byMonth := map[time.Time]int{}
	var firstMonth, lastMonth time.Time
	for _, a := range arts {
		s.Articles++
		sources[a.Source] = true
		first, last, ok := a.Date.Span()
		if !ok {
			s.Undated++
			continue
		}
		if s.First.IsZero() || first.Before(s.First) {
			s.First = first
		}
		if last.After(s.Last) {
			s.Last = last
		}
		if a.Date.Precision == PrecisionYear {
			s.YearOnly++
			continue
		}
		m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
		byMonth[m]++
		if firstMonth.IsZero() || m.Before(firstMonth) {
			firstMonth = m
		}
		if m.After(lastMonth) {
			lastMonth = m
		}
	}
	s.Sources = len(sources)
	if !firstMonth.IsZero() {
		for m := firstMonth; !m.After(lastMonth); m = m.AddDate(0, 1, 0) {
			s.Months = append(s.Months, MonthCount{Month: m, Count: byMonth[m]})
		}
	}
	return s
}

// Summary is the figures as lines of "name  value" text.
func (s Stats) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "articles   %d\n", s.Articles)
	fmt.Fprintf(&b, "sources    %d %s\n", s.Sources, pluralNoun(s.Sources, "file", "files"))
	if s.First.IsZero() {
		b.WriteString("dates      none dated\n")
	} else {
		fmt.Fprintf(&b, "dates      %s to %s\n", s.First.Format("2 January 2006"), s.Last.Format("2 January 2006"))
	}
	fmt.Fprintf(&b, "undated    %d\n", s.Undated)
	if s.YearOnly > 0 {
		fmt.Fprintf(&b, "year only  %d (not in the months below)\n", s.YearOnly)
	}
	return b.String()
}

// Histogram draws the months as text bars, one line a month: "2023-07
// ████▌ 9". width is the longest bar in characters. With more months than
// maxRows (0: no limit) only the latest maxRows are drawn, after a line
// counting the articles of the earlier ones.
func (s Stats) Histogram(width, maxRows int) string {
	months := s.Months
	var b strings.Builder
	if maxRows > 0 && len(months) > maxRows {
		earlier := 0
		for _, m := range months[:len(months)-maxRows] {
			earlier += m.Count
		}
		fmt.Fprintf(&b, "(%d earlier months: %d %s)\n", len(months)-maxRows, earlier, pluralNoun(earlier, "article", "articles"))
		months = months[len(months)-maxRows:]
	}
	most := 0
	for _, m := range months {
		most = max(most, m.Count)
	}
	for _, m := range months {
		fmt.Fprintf(&b, "%s %s %d\n", m.Month.Format("2006-01"), bar(m.Count, most, width), m.Count)
	}
	return b.String()
}

// bar is n of most drawn in width characters, in eighths of a block, at
// least a sliver for any n > 0, padded to width.
func bar(n, most, width int) string {
	if most == 0 || width <= 0 {
		return ""
	}
	eighths := n * width * 8 / most
	if n > 0 && eighths == 0 {
		eighths = 1
	}
	partial := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
	s := strings.Repeat("█", eighths/8) + partial[eighths%8]
	cells := eighths / 8
	if eighths%8 != 0 {
		cells++
	}
	return s + strings.Repeat(" ", width-cells)
}

func pluralNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
