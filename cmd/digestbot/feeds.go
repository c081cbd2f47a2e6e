package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/digestbot/digestbot/feed"
	"github.com/digestbot/digestbot/internal/app"
	"github.com/digestbot/digestbot/store"
)

// version is digestbot's version, set at build time with
// -ldflags "-X main.version=1.2.3"; else the module's version.
var version = ""

// userAgent names digestbot and its version to the feeds it polls.
func userAgent() string {
	v := version
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = strings.TrimPrefix(bi.Main.Version, "v")
		}
	}
	return "digestbot/" + v + " (+https://github.com/digestbot/digestbot; feed reader)"
}

var errFeedsFailed = errors.New("some feeds failed")

// newPoller returns the feed poller on db, as fetch and run use it.
func (m *Main) newPoller(db *store.DB) *feed.Poller {
	return &feed.Poller{
		Store:    db,
		Fetcher:  feed.NewFetcher(feed.FetchOptions{UserAgent: userAgent()}),
		Clock:    app.ClockFunc(m.Now),
		Location: m.config.Location(),
		Analyze:  m.terms(),
		Log:      m.logger,
	}
}

// selectFeeds returns the configured feeds named, or all when none are.
func (m *Main) selectFeeds(names []string) ([]feed.Source, error) {
	all := m.config.FeedSources()
	if len(all) == 0 {
		return nil, usageError{"no feeds configured: add corpus.feeds to the configuration file"}
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []feed.Source
	for _, n := range names {
		i := slices.IndexFunc(all, func(s feed.Source) bool { return s.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, s := range all {
				known[j] = s.Name
			}
			return nil, usageError{fmt.Sprintf("no feed named %q (configured: %s)", n, strings.Join(known, ", "))}
		}
		out = append(out, all[i])
	}
	return out, nil
}

func fetchCommand() command {
	var asJSON bool
	return command{
		name: "fetch", args: "[NAME…]",
		summary: "Poll the configured feeds (or the NAMEd ones) once and load their items.\n\n" +
			"Prints one line per item (added, updated, unchanged, or skipped: reason) and one\n" +
			"per feed that failed; exits with status 1 when a feed failed, after loading the others.\n" +
			"While the bot runs it holds the database; with http.listen configured, the running\n" +
			"bot polls and this command prints what it did.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, `print one JSON object per item {"feed","status","id","title","date","url","reason"} and per failed feed`)
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			sources, err := m.selectFeeds(args)
			if err != nil {
				return err
			}
			db, err := m.openDB(ctx, false)
			if err != nil {
				q := url.Values{"feed": args}
				if asJSON {
					q.Set("json", "1")
				}
				return m.feedsFromRunningBot(ctx, err, "/-/fetch", q)
			}
			reports := feed.PollAll(ctx, m.newPoller(db), sources, 4)
			failed := printFeedReports(m.Stdout, reports, asJSON)
			err = m.catchUpIndex(ctx)
			if failed > 0 {
				err = errors.Join(fmt.Errorf("%w: %d of %d (the others were loaded)", errFeedsFailed, failed, len(reports)), err)
			}
			return err
		},
	}
}

// fetchLine is the --json form of one item: every key always present.
type fetchLine struct {
	Feed   string `json:"feed"`
	Status string `json:"status"`
	ID     string `json:"id"`
	Title  string `json:"title"`
	Date   string `json:"date"`
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// fetchError is the --json form of a feed that failed.
type fetchError struct {
	Feed   string `json:"feed"`
	Status string `json:"status"` // "error"
	Reason string `json:"reason"`
}

// printFeedReports prints the reports' items and failures and returns
// the number of feeds that failed. Text lines start with the feed's name:
// "coastal  added  ID  DATE  TITLE", "coastal  skipped: REASON  TITLE",
// "broken  error: REASON", "alpine  not modified".
func printFeedReports(out io.Writer, reports []feed.Report, asJSON bool) int {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	width := 0
	for _, r := range reports {
		width = max(width, len(r.Feed))
	}
	failed := 0
	counts := map[string]int{}
	for _, r := range reports {
		if r.Err != nil {
			failed++
			if asJSON {
				_ = enc.Encode(fetchError{Feed: r.Feed, Status: "error", Reason: r.Err.Error()})
			} else {
				fmt.Fprintf(out, "%-*s  error: %v\n", width, r.Feed, r.Err)
			}
			continue
		}
		if r.NotModified && !asJSON {
			fmt.Fprintf(out, "%-*s  not modified\n", width, r.Feed)
		}
		for _, it := range r.Items {
			counts[it.Status]++
			switch {
			case asJSON:
				_ = enc.Encode(fetchLine{Feed: it.Feed, Status: it.Status, ID: it.ID, Title: it.Title, Date: it.Date.String(), URL: it.URL, Reason: it.Reason})
			case it.Status == feed.Skipped:
				fmt.Fprintf(out, "%-*s  skipped: %s  %s\n", width, it.Feed, it.Reason, clip(it.Title, 60))
			default:
				fmt.Fprintf(out, "%-*s  %-9s  %s  %-10s  %s\n", width, it.Feed, it.Status, it.ID, it.Date, clip(it.Title, 60))
			}
		}
	}
	if !asJSON {
		var parts []string
		for _, s := range []string{feed.Added, feed.Updated, feed.Unchanged, feed.Skipped} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		if len(parts) == 0 {
			parts = []string{"no new items"}
		}
		line := fmt.Sprintf("%d feeds: %s", len(reports), strings.Join(parts, ", "))
		if failed > 0 {
			line += fmt.Sprintf("; %d failed", failed)
		}
		fmt.Fprintln(out, line)
	}
	return failed
}

func feedsCommand() command {
	var asJSON bool
	return command{
		name: "feeds", args: "",
		summary: "Show each configured feed's last poll, outcome, items, next poll and last error\n" +
			"(from the running bot when it holds the database and http.listen is configured).",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print one JSON object per feed") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"feeds takes no arguments"}
			}
			sources, err := m.selectFeeds(nil)
			if err != nil {
				return err
			}
			db, err := m.openDB(ctx, false)
			if err != nil {
				q := url.Values{}
				if asJSON {
					q.Set("json", "1")
				}
				return m.feedsFromRunningBot(ctx, err, "/-/feeds", q)
			}
			states, err := feed.LoadStates(ctx, db)
			if err != nil {
				return err
			}
			return printFeedStates(m.Stdout, sources, states, m.Now(), m.config.Location(), asJSON)
		},
	}
}

// feedLine is the --json form of one feed's state.
type feedLine struct {
	Name         string     `json:"name"`
	URL          string     `json:"url"`
	Every        string     `json:"every"`
	LastPoll     *time.Time `json:"last_poll"`
	Outcome      string     `json:"outcome"`
	Items        int        `json:"items"`
	Added        int        `json:"added"`
	Updated      int        `json:"updated"`
	NextPoll     *time.Time `json:"next_poll"`
	LastSuccess  *time.Time `json:"last_success,omitempty"`
	Failures     int        `json:"failures,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
}

func printFeedStates(out io.Writer, sources []feed.Source, states map[string]feed.State, now time.Time, loc *time.Location, asJSON bool) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	ptr := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.In(loc)
		return &t
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.In(loc).Format("2006-01-02 15:04 MST")
	}
	for _, s := range sources {
		st, ok := states[s.Name]
		if ok && st.URL != s.URL {
			st, ok = feed.State{}, false // the URL changed: polled afresh
		}
		every := s.Every
		if every == 0 {
			every = feed.DefaultEvery
		}
		if asJSON {
			outcome := st.Outcome
			if !ok {
				outcome = "never polled"
			}
			l := feedLine{Name: s.Name, URL: s.URL, Every: shortDuration(every), LastPoll: ptr(st.LastPoll), Outcome: outcome,
				Items: st.Items, Added: st.Added, Updated: st.Updated, NextPoll: ptr(st.NextPoll), LastSuccess: ptr(st.LastSuccess),
				Failures: st.Failures, FailingSince: ptr(st.FailingSince), LastError: st.LastError}
			if err := enc.Encode(l); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "%s  %s  every %s\n", s.Name, s.URL, shortDuration(every))
		if !ok {
			fmt.Fprintln(out, "  never polled; polled at once by digestbot run or fetch")
			continue
		}
		switch st.Outcome {
		case feed.OutcomeOK:
			fmt.Fprintf(out, "  last poll   %s: ok, %d items (%d added, %d updated)\n", when(st.LastPoll), st.Items, st.Added, st.Updated)
		case feed.OutcomeNotModified:
			fmt.Fprintf(out, "  last poll   %s: not modified\n", when(st.LastPoll))
		default:
			fmt.Fprintf(out, "  last poll   %s: %s\n", when(st.LastPoll), st.Outcome)
		}
		if st.Outcome != feed.OutcomeOK && !st.LastSuccess.IsZero() {
			fmt.Fprintf(out, "  last read   %d items (%d added, %d updated)\n", st.Items, st.Added, st.Updated)
		}
		next := when(st.NextPoll)
		if !st.NextPoll.After(now) {
			next += " (due)"
		}
		fmt.Fprintf(out, "  next poll   %s\n", next)
		if st.Failures > 0 {
			fmt.Fprintf(out, "  failing     since %s (%d failed polls in a row); last error: %s\n", when(st.FailingSince), st.Failures, st.LastError)
		}
	}
	return nil
}

// feedFailureWarning is how long a feed may fail before /healthz warns.
const feedFailureWarning = 24 * time.Hour

// loaded brings the search index up to date after polls that stored
// something, and logs them.
func (s *services) loaded(ctx context.Context, m *Main, reports ...feed.Report) {
	app.Loaded(ctx, s.stored, m.logger, reports...)
}

// pollFeeds polls the configured feeds on their intervals until ctx
// ends, bringing the search index up to date after each poll that
// stored something, and counting what they did in the metrics. A reload
// restarts it with the new feeds (each polled when its stored state says).
func (s *services) pollFeeds(ctx context.Context, m *Main) {
	items := s.metrics.Counter("digestbot_feed_items_total", "Feed items seen by polls, by feed and status (added, updated, unchanged, skipped).", "feed", "status")
	polls := s.metrics.Counter("digestbot_feed_polls_total", "Feed polls, by feed and outcome (ok, not modified, error).", "feed", "outcome")
	onPoll := func(r feed.Report) {
		outcome := r.State.Outcome
		if r.Err != nil {
			outcome = feed.OutcomeError
		}
		polls.Inc(r.Feed, outcome)
		for _, it := range r.Items {
			items.Inc(r.Feed, it.Status)
		}
		s.loaded(ctx, m, r)
	}
	// The poller fetch requests use too (feedRoutes); in a cluster it
	// publishes its polls to the other replicas.
	share := s.shareFeeds(ctx, m, s.feeds.Poller())
	s.feeds.Run(ctx, share.own, onPoll, m.logger)
}

// observeFeeds adds the feeds' gauges to the metrics and a /healthz
// warning for a feed failing for more than a day.
func (s *services) observeFeeds(m *Main) {
	s.feeds = app.NewFeeds(m.newPoller(s.db), m.config.FeedSources())
	lastOK := s.metrics.Gauge("digestbot_feed_last_success_timestamp_seconds", "When each feed last answered (200 or 304).", "feed")
	failures := s.metrics.Gauge("digestbot_feed_consecutive_failures", "Polls of each feed that failed in a row (0 when its last poll succeeded).", "feed")
	nextPoll := s.metrics.Gauge("digestbot_feed_next_poll_timestamp_seconds", "When each feed is polled next.", "feed")
	s.metrics.OnScrape(func() {
		states, err := feed.LoadStates(context.Background(), s.db)
		if err != nil {
			return
		}
		for _, src := range s.feeds.Sources() {
			st := states[src.Name]
			if !st.LastSuccess.IsZero() {
				lastOK.Set(float64(st.LastSuccess.Unix()), src.Name)
			}
			if !st.NextPoll.IsZero() {
				nextPoll.Set(float64(st.NextPoll.Unix()), src.Name)
			}
			failures.Set(float64(st.Failures), src.Name)
		}
	})
	s.health.AddWarning("feeds", func(ctx context.Context) error {
		states, err := feed.LoadStates(ctx, s.db)
		if err != nil {
			return err
		}
		var bad []error
		for _, src := range s.feeds.Sources() {
			st := states[src.Name]
			if d := st.FailingFor(m.Now()); d > feedFailureWarning {
				bad = append(bad, fmt.Errorf("feed %s failing for %s: %s", src.Name, d.Round(time.Minute), st.LastError))
			}
		}
		return errors.Join(bad...)
	})
}
