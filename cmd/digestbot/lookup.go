package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/termsafe"
)

// articleRow is an article in a JSON listing.
type articleRow struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Date          string `json:"date"`
	DatePrecision string `json:"date_precision"`
	Source        string `json:"source"`
	// URL is the original article's address, "" when the file gave none.
	URL   string `json:"url"`
	Words int    `json:"words"`
}

func rows(arts []corpus.Article) []articleRow {
	out := make([]articleRow, 0, len(arts))
	for _, a := range arts {
		out = append(out, articleRow{ID: a.ID, Title: a.Title, Date: a.Date.String(),
			DatePrecision: a.Date.Precision.String(), Source: a.Source, URL: a.URL, Words: a.Words})
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable prints articles one per line: date, ID, words, title.
func printTable(w io.Writer, arts []corpus.Article) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tID\tWORDS\tTITLE")
	for _, a := range arts {
		d := a.Date.String()
		if d == "" {
			d = "undated"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", d, a.ID, a.Words, clip(a.Title, 72))
	}
	tw.Flush()
}

func listCommand() command {
	var asJSON bool
	return command{
		name: "list", args: "",
		summary: "List the stored articles, newest first (undated ones last).\n\n" +
			"On first use with no database, loads the configured corpus folders or the embedded sample corpus.",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Sprintf("list takes no arguments, got %q", strings.Join(args, " "))}
			}
			db, err := m.openDBReadOnly(ctx)
			if err != nil {
				return err
			}
			arts, err := db.All(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					Total   int          `json:"total"`
					Results []articleRow `json:"results"`
				}{len(arts), rows(arts)})
			}
			printTable(m.Stdout, arts)
			fmt.Fprintln(m.Stdout, countNoun(len(arts), "article"))
			return nil
		},
	}
}

func showCommand() command {
	var asJSON bool
	return command{
		name: "show", args: "ID", quick: true,
		summary: "Print one whole article. ID may be shortened to its first few characters when unique.",
		flags:   func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"show needs one article ID (see digestbot list)"}
			}
			db, err := m.openDBReadOnly(ctx)
			if err != nil {
				return err
			}
			a, err := articleByID(ctx, db, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					articleRow
					TitleFrom string   `json:"title_from"`
					DateFrom  string   `json:"date_from"`
					Hash      string   `json:"hash"`
					Body      []string `json:"paragraphs"`
				}{rows([]corpus.Article{a})[0], a.TitleFrom.String(), a.Date.From.String(), a.Hash, a.Paragraphs()})
			}
			d := a.Date.String()
			if d == "" {
				d = "undated"
			} else {
				d = fmt.Sprintf("%s (%s precision, from the %s)", d, a.Date.Precision, a.Date.From)
			}
			url := ""
			if a.URL != "" {
				url = "URL:     " + termsafe.Name(a.URL) + "\n"
			}
			fmt.Fprintf(m.Stdout, "%s\n\nID:      %s\nDate:    %s\nSource:  %s\n%sWords:   %d\n\n%s\n",
				a.Title, a.ID, d, termsafe.Name(a.Source), url, a.Words, a.Body)
			return nil
		},
	}
}

func dateCommand() command {
	var asJSON bool
	return command{
		name: "date", args: "WHEN",
		summary: "List the articles dated within WHEN, newest first.\n\n" +
			"WHEN is a day (2023-07-03, March 15 2024), a month (2023-07, July 2023), a year (2023), a range\n" +
			"(2023-01-01..2023-08-31, either end may be left open), or today, yesterday,\n" +
			"this-week, last-week, this-month, last-month, this-year, last-year in the\n" +
			"configured time zone. An article dated only to the month is listed for its\n" +
			"month and year, never for a single day.",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) == 0 {
				return usageError{"date needs WHEN, e.g. digestbot date 2023-07"}
			}
			when := strings.Join(args, " ")
			r, err := corpus.ParseWhen(when, m.Now().In(m.config.Location()))
			if err != nil {
				return usageError{err.Error()}
			}
			db, err := m.openDBReadOnly(ctx)
			if err != nil {
				return err
			}
			arts, err := db.Between(ctx, r.From, r.To)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					When    string       `json:"when"`
					From    string       `json:"from"`
					To      string       `json:"to"`
					Results []articleRow `json:"results"`
				}{when, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), rows(arts)})
			}
			if len(arts) == 0 {
				fmt.Fprintf(m.Stdout, "no articles dated %s\n", r.Phrase())
				return nil
			}
			printTable(m.Stdout, arts)
			fmt.Fprintf(m.Stdout, "%s dated %s\n", countNoun(len(arts), "article"), r.Phrase())
			return nil
		},
	}
}

// countNoun returns "1 article", "5 articles".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
