package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/digestbot/digestbot/corpus"
)

// statsBarWidth is the longest histogram bar, in characters.
const statsBarWidth = 40

func statsCommand() command {
	var asJSON bool
	return command{
		name: "stats", args: "",
		summary: "Show the archive at a glance: articles, source files, the span of their dates, the\n" +
			"undated ones, and a histogram of articles per month drawn in text.",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Sprintf("stats takes no arguments, got %q", strings.Join(args, " "))}
			}
			db, err := m.openDBReadOnly(ctx)
			if err != nil {
				return err
			}
			arts, err := db.Headers(ctx)
			if err != nil {
				return err
			}
			s := corpus.ArchiveStats(arts)
			if asJSON {
				return writeJSON(m.Stdout, statsJSON(s))
			}
			fmt.Fprint(m.Stdout, s.Summary())
			if len(s.Months) > 0 {
				fmt.Fprintf(m.Stdout, "\narticles per month (dated to a day or a month):\n%s", s.Histogram(statsBarWidth, 0))
			}
			return nil
		},
	}
}

type statsMonth struct {
	Month    string `json:"month"`
	Articles int    `json:"articles"`
}

type statsOutput struct {
	Articles int          `json:"articles"`
	Sources  int          `json:"sources"`
	Undated  int          `json:"undated"`
	YearOnly int          `json:"year_only"`
	First    string       `json:"first,omitempty"`
	Last     string       `json:"last,omitempty"`
	Months   []statsMonth `json:"months"`
}

func statsJSON(s corpus.Stats) statsOutput {
	out := statsOutput{Articles: s.Articles, Sources: s.Sources, Undated: s.Undated, YearOnly: s.YearOnly, Months: []statsMonth{}}
	if !s.First.IsZero() {
		out.First, out.Last = s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly)
	}
	for _, mc := range s.Months {
		out.Months = append(out.Months, statsMonth{Month: mc.Month.Format("2006-01"), Articles: mc.Count})
	}
	return out
}
