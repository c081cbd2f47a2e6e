package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/app"
	"github.com/digestbot/digestbot/internal/termsafe"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// digestService returns the summary and digest service over db, analysing
// text like the search index.
func (m *Main) digestService(db *store.DB) (*digest.Service, error) {
	return digest.New(db, m.terms())
}

// terms is the analysis that summaries and feed items share with the
// search index: search.NewTerms, made once per process so its stem cache
// serves every summary.
func (m *Main) terms() func(string) []string {
	m.analyzeOnce.Do(func() { m.analyze = search.NewTerms() })
	return m.analyze
}

// articleByID looks up an article by ID or unique prefix, with the bot's
// errors ending in the command line's help.
func articleByID(ctx context.Context, db *store.DB, id string) (corpus.Article, error) {
	return bot.ArticleByID(ctx, db, id, bot.IDHelp{Find: "See digestbot list.", Short: " (see digestbot list)."})
}

func summarizeCommand() command {
	var asJSON bool
	var opts digest.Options
	var method string
	return command{
		name: "summarize", args: "ID",
		summary: "Print the summary of one article: the sentences that best carry it, in order.\n\n" +
			"Sentences are ranked with LexRank (a sentence graph weighted by TF-IDF similarity,\n" +
			"IDF from the whole database) with a news position prior, and picked without\n" +
			"repeating each other, whole, within the character budget. --method lead3 shows\n" +
			"the baseline: the first usable sentences.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.IntVar(&opts.Sentences, "sentences", digest.DefaultSentences, "most `N` sentences")
			fs.IntVar(&opts.MaxChars, "chars", digest.DefaultMaxChars, "character budget of the summary")
			fs.StringVar(&method, "method", string(digest.LexRank), "lexrank or lead3")
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"summarize needs one article ID (see digestbot list)"}
			}
			opts.Method = digest.Method(method)
			if opts.Sentences < 1 || opts.MaxChars < 1 {
				return usageError{"--sentences and --chars must be at least 1"}
			}
			if err := opts.Validate(); err != nil {
				return usageError{err.Error()}
			}
			db, err := m.openDB(ctx, true)
			if err != nil {
				return err
			}
			a, err := articleByID(ctx, db, args[0])
			if err != nil {
				return err
			}
			svc, err := m.digestService(db)
			if err != nil {
				return err
			}
			sum, err := svc.Summary(ctx, a, opts)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					ID        string   `json:"id"`
					Title     string   `json:"title"`
					Date      string   `json:"date"`
					Source    string   `json:"source"`
					URL       string   `json:"url,omitempty"`
					Method    string   `json:"method"`
					Sentences []string `json:"sentences"`
					Summary   string   `json:"summary"`
				}{a.ID, a.Title, a.Date.String(), a.Source, a.URL, method, nonNil(sum.Sentences), sum.Text()})
			}
			d := a.Date.String()
			if d == "" {
				d = "undated"
			}
			fmt.Fprintf(m.Stdout, "%s\n%s · %s · %s\n", a.Title, a.ID, d, termsafe.Name(a.Source))
			if a.URL != "" {
				fmt.Fprintln(m.Stdout, a.URL)
			}
			fmt.Fprintln(m.Stdout)
			if len(sum.Sentences) == 0 {
				fmt.Fprintln(m.Stdout, digest.NoSummary)
				return nil
			}
			fmt.Fprintln(m.Stdout, sum.Text())
			return nil
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func digestCommand() command {
	var asJSON bool
	var rule, date, name string
	var maxArticles int
	return command{
		name: "digest", args: "",
		summary: "Print the digest that would be posted, recording nothing.\n\n" +
			"--select new (default): articles stored since the channel's previous digest (all,\n" +
			"without --name; a channel's first digest looks back only look_back, default 1\n" +
			"day); day: articles dated one day (the day before the run, or the day itself with\n" +
			"covers: today); on-this-day: articles from this calendar day in earlier years.\n" +
			"--date D names the day the digest covers (in the configured time zone); --name\n" +
			"NAME uses a configured digest's channel, title, limits, keywords and covers.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON: the digest and the Discord message payloads")
			fs.StringVar(&rule, "select", "", digest.RuleNames()+" (default new, or the named digest's)")
			fs.StringVar(&date, "date", "", "build the digest that covers day `D` (2024-07-03, today, yesterday)")
			fs.StringVar(&name, "name", "", "use the configured digest `NAME`")
			fs.IntVar(&maxArticles, "max", 0, "show at most `N` stories (default 10, or the named digest's)")
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Sprintf("digest takes no arguments, got %q", strings.Join(args, " "))}
			}
			spec := digest.Spec{Zone: m.config.Location()}
			if name != "" {
				found := false
				for _, d := range m.config.Digests {
					if d.Name == name {
						spec, found = d.Job().Spec, true
					}
				}
				if !found {
					return usageError{fmt.Sprintf("no digest named %q in the configuration (see digestbot schedule)", name)}
				}
			}
			if rule != "" {
				r, err := digest.ParseRule(rule)
				if err != nil {
					return usageError{err.Error()}
				}
				spec.Rule = r
			}
			if maxArticles != 0 {
				spec.MaxArticles = maxArticles
			}
			if err := spec.Validate(); err != nil {
				return usageError{err.Error()}
			}
			at, err := app.DigestMoment(m.Now(), date, spec)
			if err != nil {
				return usageError{err.Error()}
			}
			db, err := m.openDB(ctx, true)
			if err != nil {
				return err
			}
			svc, err := m.digestService(db)
			if err != nil {
				return err
			}
			d, err := svc.Build(ctx, spec, at)
			if err != nil {
				return err
			}
			msgs := digest.Render(d)
			if asJSON {
				return writeJSON(m.Stdout, digestJSON(d, msgs))
			}
			if len(msgs) == 0 {
				fmt.Fprintf(m.Stdout, "%s: nothing to post (no articles selected; post_when_empty is off)\n", d.Title)
				return nil
			}
			for i, msg := range msgs {
				fmt.Fprintf(m.Stdout, "── message %d of %d ──\n%s\n", i+1, len(msgs), digest.FormatText(msg))
			}
			return nil
		},
	}
}

// digestArticle and digestOutput are the --json form of a digest.
type digestArticle struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Date    string   `json:"date"`
	Source  string   `json:"source"`
	URL     string   `json:"url,omitempty"`
	Summary string   `json:"summary"`
	AlsoIn  []string `json:"also_in,omitempty"`
}

type digestOutput struct {
	Title    string           `json:"title"`
	Date     string           `json:"date"`
	Select   string           `json:"select"`
	Articles []digestArticle  `json:"articles"`
	More     int              `json:"more"`
	Messages []digest.Message `json:"messages"`
}

func digestJSON(d digest.Digest, msgs []digest.Message) digestOutput {
	day := d.At.Format(time.DateOnly)
	if d.Rule == digest.SelectDay {
		day = d.Day.Format(time.DateOnly)
	}
	out := digestOutput{Title: d.Title, Date: day, Select: string(d.Rule), More: d.More,
		Articles: []digestArticle{}, Messages: msgs}
	if out.Messages == nil {
		out.Messages = []digest.Message{}
	}
	for _, it := range d.Items {
		a := digestArticle{ID: it.ID, Title: it.Title, Date: it.Date.String(), Source: it.Source, URL: it.URL,
			Summary: digest.Summary{Sentences: it.Summary}.Text()}
		for _, r := range it.AlsoIn {
			a.AlsoIn = append(a.AlsoIn, r.ID)
		}
		out.Articles = append(out.Articles, a)
	}
	return out
}

func scheduleCommand() command {
	var asJSON, runNow bool
	return command{
		name: "schedule", args: "",
		summary: "List the configured digests with their next three run times.\n\n" +
			"--run runs the schedules in the foreground, printing each digest to standard\n" +
			"output instead of posting it to Discord (runs are recorded as posted), until\n" +
			"interrupted.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.BoolVar(&runNow, "run", false, "run the schedules, printing the digests")
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"schedule takes no arguments"}
			}
			jobs := m.config.DigestJobs()
			if runNow {
				return m.runSchedules(ctx, jobs)
			}
			now := m.Now()
			type row struct {
				Name     string   `json:"name"`
				Channel  string   `json:"channel"`
				Select   string   `json:"select"`
				Schedule string   `json:"schedule"`
				Timezone string   `json:"timezone"`
				Covers   string   `json:"covers"`
				CatchUp  string   `json:"catch_up"`
				Next     []string `json:"next"`
			}
			rows := []row{}
			for _, j := range jobs {
				r := row{Name: j.Spec.Name, Channel: j.Spec.Channel, Select: string(j.Spec.Rule), Schedule: j.Schedule.String(),
					Timezone: j.Schedule.Zone().String(), Covers: coversShort(j.Spec), CatchUp: string(j.CatchUp), Next: []string{}}
				if r.Select == "" {
					r.Select = string(digest.SelectNew)
				}
				if r.CatchUp == "" {
					r.CatchUp = string(digest.CatchUpOnce)
				}
				if w := j.Window; r.CatchUp == string(digest.CatchUpOnce) {
					if w == 0 {
						w = digest.DefaultCatchUpWindow
					}
					r.CatchUp += " within " + formatDuration(w)
				}
				for _, t := range j.Schedule.Next(now, 3) {
					r.Next = append(r.Next, t.In(j.Schedule.Zone()).Format(time.RFC3339))
				}
				rows = append(rows, r)
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					Digests []row `json:"digests"`
				}{rows})
			}
			if len(rows) == 0 {
				fmt.Fprintln(m.Stdout, "no digests configured (add a digests: list to the configuration; see config.example.yaml)")
				return nil
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCHANNEL\tSELECT\tCOVERS\tSCHEDULE\tTIME ZONE\tCATCH-UP\tNEXT RUNS")
			for _, r := range rows {
				var next []string
				for _, s := range r.Next {
					t, _ := time.Parse(time.RFC3339, s)
					next = append(next, t.Format("Mon 2006-01-02 15:04 -07:00"))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Channel, r.Select, r.Covers, r.Schedule, r.Timezone, r.CatchUp, strings.Join(next, ", "))
			}
			return tw.Flush()
		},
	}
}

// coversShort is a schedule's COVERS column: which day a "day" digest
// covers, how far a channel's first "new" digest looks back.
func coversShort(sp digest.Spec) string {
	switch sp.Rule {
	case digest.SelectDay:
		if sp.Covers == "" {
			return string(digest.CoversYesterday)
		}
		return string(sp.Covers)
	case digest.SelectOnThisDay:
		return "this day, earlier years"
	}
	lb := sp.LookBack
	if lb <= 0 {
		lb = digest.DefaultLookBack
	}
	return "since the last digest (first: " + formatDuration(lb) + ")"
}

// formatDuration writes a duration as people do: "6h", "1 day", "90m",
// "1h30m" (never "6h0m0s").
func formatDuration(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return countNoun(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0 && d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dh%dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return d.String()
}

// runSchedules runs the digest scheduler, printing posts to standard output.
func (m *Main) runSchedules(ctx context.Context, jobs []digest.Job) error {
	if len(jobs) == 0 {
		return errors.New("no digests configured (add a digests: list to the configuration; see config.example.yaml)")
	}
	db, err := m.openDB(ctx, true)
	if err != nil {
		return err
	}
	svc, err := m.digestService(db)
	if err != nil {
		return err
	}
	sched, err := digest.NewScheduler(jobs, svc, db, &digest.WriterPoster{W: m.Stdout}, app.ClockFunc(m.Now), m.logger)
	if err != nil {
		return err
	}
	m.logger.Info("running digest schedules; interrupt to stop", "digests", len(jobs))
	if err := sched.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
