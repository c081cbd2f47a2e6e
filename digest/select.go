package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/apperr"
	"github.com/digestbot/digestbot/store"
)

// Rule selects the articles of a digest.
type Rule string

// The selection rules.
const (
	// SelectNew: articles stored since the channel's previous digest (by the
	// store's change log). A channel's first digest holds only the articles
	// dated within its look-back (Spec.LookBack), not the whole archive.
	SelectNew Rule = "new"
	// SelectDay: articles dated one day in the digest's time zone: the day
	// before it is built, or the same day (Spec.Covers).
	SelectDay Rule = "day"
	// SelectOnThisDay: articles dated this calendar day in earlier years
	// (on 28 February of a common year, 29 February too).
	SelectOnThisDay Rule = "on-this-day"
)

// Rules lists the rules: the one list that parsing, help texts and the
// bot's /digest choices are made from.
var Rules = []Rule{SelectNew, SelectDay, SelectOnThisDay}

// Describe says in a few words which articles the rule selects.
func (r Rule) Describe() string {
	switch r {
	case SelectNew:
		return "new since the last digest"
	case SelectDay:
		return "dated one day (by default the day before it is posted)"
	case SelectOnThisDay:
		return "on this day in earlier years"
	}
	return string(r)
}

// RuleNames is "new, day or on-this-day".
func RuleNames() string {
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = string(r)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseRule parses "new", "day" or "on-this-day".
func ParseRule(s string) (Rule, error) {
	for _, r := range Rules {
		if strings.EqualFold(s, string(r)) {
			return r, nil
		}
	}
	return "", apperr.Errorf(apperr.Invalid, "unknown selection %q: use %s", s, RuleNames())
}

// Covers says which day a "day" digest covers.
type Covers string

// The days a "day" digest may cover.
const (
	// CoversYesterday: the day before the digest is built (the default: a
	// morning digest of the previous day's news).
	CoversYesterday Covers = "yesterday"
	// CoversToday: the day the digest is built (an evening digest).
	CoversToday Covers = "today"
)

// ParseCovers parses "yesterday" or "today"; "" is yesterday.
func ParseCovers(s string) (Covers, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", string(CoversYesterday):
		return CoversYesterday, nil
	case string(CoversToday):
		return CoversToday, nil
	}
	return "", fmt.Errorf("must be yesterday or today, got %q", s)
}

// DefaultLookBack is how far back a channel's first "new" digest reaches.
const DefaultLookBack = 24 * time.Hour

// Digest limits.
const (
	DefaultMaxArticles = 10
	MaxArticles        = 100
	// earliestYear bounds how far back on-this-day looks.
	earliestYear = 1900
)

// Spec says what a digest holds. The zero values of the fields mean the
// defaults.
type Spec struct {
	// Name identifies a configured digest (its runs are recorded under it).
	Name string
	// Title heads the digest; default by rule ("New articles", "Daily
	// digest", "On this day").
	Title string
	// Channel is where it is posted; a "new" digest starts after the
	// channel's previous digest. Empty: no channel, "new" means everything.
	Channel string
	Rule    Rule           // default SelectNew
	Zone    *time.Location // for "day" and "on-this-day"; default UTC
	// MaxArticles is the most stories shown; the rest are counted in an
	// "N more" line (default 10).
	MaxArticles int
	Summary     Options
	// PostWhenEmpty posts a digest that says there is nothing new instead
	// of posting nothing.
	PostWhenEmpty bool
	// Covers is the day a "day" digest covers; default CoversYesterday.
	Covers Covers
	// LookBack bounds a channel's first "new" digest (no earlier digest
	// recorded for the channel): only articles dated within LookBack
	// before the digest's moment, whole days in Zone. Default
	// DefaultLookBack (one day: the previous day and today).
	LookBack time.Duration
	// Include keeps only articles matching at least one entry, Exclude
	// drops articles matching any. An entry is a word or words, matched
	// with the search analysis (so "patrols" matches "patrol"); an entry of
	// several words matches when the article has all of them.
	Include, Exclude []string
}

func (sp Spec) withDefaults() Spec {
	if sp.Rule == "" {
		sp.Rule = SelectNew
	}
	if sp.Zone == nil {
		sp.Zone = time.UTC
	}
	if sp.MaxArticles <= 0 {
		sp.MaxArticles = DefaultMaxArticles
	}
	if sp.Covers == "" {
		sp.Covers = CoversYesterday
	}
	if sp.LookBack <= 0 {
		sp.LookBack = DefaultLookBack
	}
	if sp.Title == "" {
		sp.Title = map[Rule]string{SelectNew: "New articles", SelectDay: "Daily digest", SelectOnThisDay: "On this day"}[sp.Rule]
	}
	sp.Summary = sp.Summary.withDefaults()
	return sp
}

// Validate reports a spec that cannot be built.
func (sp Spec) Validate() error {
	if _, err := ParseRule(string(sp.withDefaults().Rule)); err != nil {
		return err
	}
	if sp.MaxArticles < 0 || sp.MaxArticles > MaxArticles {
		return fmt.Errorf("max_articles must be 1 to %d, got %d", MaxArticles, sp.MaxArticles)
	}
	if _, err := ParseCovers(string(sp.Covers)); err != nil {
		return fmt.Errorf("covers %w", err)
	}
	if sp.LookBack < 0 {
		return fmt.Errorf("look_back must not be negative, got %s", sp.LookBack)
	}
	for _, w := range append(slices.Clone(sp.Include), sp.Exclude...) {
		if strings.TrimSpace(w) == "" {
			return errors.New("empty keyword in include or exclude")
		}
	}
	return sp.Summary.Validate()
}

// Digest is a built digest: what would be posted.
type Digest struct {
	Name  string
	Title string
	Rule  Rule
	// At is the moment it was built for (the scheduled time of a run).
	At time.Time
	// Day is the day a "day" digest covers, or the calendar day of an
	// "on-this-day" digest (as a UTC midnight).
	Day time.Time
	// First is set on a channel's first "new" digest: the articles it holds
	// are dated within First (the look-back), not all stored ones.
	First *corpus.Range
	// Since and Seq bound a "new" digest: changes after Since up to Seq.
	// Seq is the store's latest change when the digest was built, for every
	// rule.
	Since, Seq uint64
	// Covered lists the articles a "new" digest covered (shown, left out
	// or filtered), when the service keeps coverage in a Coverage.
	Covered []string
	Items   []Item
	// More counts the stories left out beyond MaxArticles.
	More int
	// Include is the include filter, for the "N more" hint.
	Include       []string
	PostWhenEmpty bool
}

// Coverage says in words what this digest holds: "articles dated 8
// August 2023", "articles stored since the channel's previous digest".
func (d Digest) Coverage() string {
	switch {
	case d.Rule == SelectDay:
		return "articles dated " + d.Day.Format("Monday 2 January 2006")
	case d.Rule == SelectOnThisDay:
		return "articles dated " + d.Day.Format("2 January") + " in years before " + d.Day.Format("2006")
	case d.First != nil:
		return "articles dated " + d.First.Phrase() + " (a channel's first digest looks back only that far)"
	case d.Since == 0:
		return "every stored article"
	}
	return "articles stored since the channel's previous digest"
}

// Empty reports whether the digest has no stories.
func (d Digest) Empty() bool { return len(d.Items) == 0 }

// Item is one story of a digest.
type Item struct {
	ID, Title, Source string
	// URL is the original article's address, or "".
	URL     string
	Date    corpus.Date
	Summary []string
	// AlsoIn lists near-duplicates: the same story stored again.
	AlsoIn []Ref
}

// Ref names another article.
type Ref struct{ ID, Title, Source string }

// candidate is an article that may go into a digest. Its Body may have been
// dropped to save memory; lead holds the terms near-duplicates are found by.
type candidate struct {
	art  corpus.Article
	lead map[string]bool
}

// keepBodies: with more candidates than this, their bodies are dropped
// after filtering and read again for the few that are summarised.
const keepBodies = 200

// Build builds the digest spec describes for the moment at. It reads the
// store and may add to the summary cache, but records nothing about the
// digest: building twice gives the same digest.
func (s *Service) Build(ctx context.Context, spec Spec, at time.Time) (Digest, error) {
	if err := spec.Validate(); err != nil {
		return Digest{}, err
	}
	spec = spec.withDefaults()
	seq, err := s.db.LastSeq(ctx)
	if err != nil {
		return Digest{}, fmt.Errorf("build digest: %w", err)
	}
	d := Digest{Name: spec.Name, Title: spec.Title, Rule: spec.Rule, At: at, Seq: seq,
		Include: spec.Include, PostWhenEmpty: spec.PostWhenEmpty}
	filter := s.newFilter(spec)
	var cands []candidate
	add := func(a corpus.Article) {
		if !filter.keep(a) {
			return
		}
		cands = append(cands, candidate{art: a, lead: leadTerms(s.analyze, s.stop, a)})
		switch {
		case len(cands) == keepBodies+1:
			for i := range cands {
				cands[i].art.Body = ""
			}
		case len(cands) > keepBodies+1:
			cands[len(cands)-1].art.Body = ""
		}
	}
	if err := s.selectArticles(ctx, spec, at, &d, add); err != nil {
		return Digest{}, fmt.Errorf("build digest %q: %w", spec.Title, err)
	}

	slices.SortFunc(cands, func(a, b candidate) int { return newerFirst(a.art, b.art) })
	stats, err := s.Stats(ctx)
	if err != nil {
		return Digest{}, err
	}
	groups := groupDuplicates(cands, stats)
	if len(groups) > spec.MaxArticles {
		d.More = len(groups) - spec.MaxArticles
		groups = groups[:spec.MaxArticles]
	}
	shown := make([]corpus.Article, len(groups))
	for i, g := range groups {
		shown[i] = cands[g[0]].art
	}
	sums, err := s.Summaries(ctx, shown, spec.Summary)
	if err != nil {
		return Digest{}, err
	}
	for i, g := range groups {
		a := cands[g[0]].art
		it := Item{ID: a.ID, Title: a.Title, Source: a.Source, URL: a.URL, Date: a.Date, Summary: sums[i].Sentences}
		for _, j := range g[1:] {
			o := cands[j].art
			it.AlsoIn = append(it.AlsoIn, Ref{ID: o.ID, Title: o.Title, Source: o.Source})
		}
		d.Items = append(d.Items, it)
	}
	return d, nil
}

// selectArticles calls add for each article spec's rule selects at the
// moment at, and sets what d records of the selection (Since, Day, First).
func (s *Service) selectArticles(ctx context.Context, spec Spec, at time.Time, d *Digest, add func(corpus.Article)) error {
	switch spec.Rule {
	case SelectNew:
		// A channel's first digest: only what is dated within the look-back.
		first := func(add func(corpus.Article)) func(corpus.Article) {
			d.First = spec.lookBack(at)
			return func(a corpus.Article) {
				if d.First.Contains(a.Date) {
					add(a)
				}
			}
		}
		if s.cover != nil && spec.Channel != "" {
			return s.newUncovered(ctx, d, spec.Channel, add, first)
		}
		if spec.Channel != "" {
			var found bool
			var err error
			if d.Since, found, err = s.db.ChannelSeq(ctx, spec.Channel); err != nil {
				return err
			}
			if !found {
				add = first(add)
			}
		}
		return s.newSince(ctx, d.Since, d.Seq, add)
	case SelectDay:
		d.Day = spec.coveredDay(at)
		arts, err := s.db.Between(ctx, d.Day, d.Day)
		for _, a := range arts {
			add(a)
		}
		return err
	case SelectOnThisDay:
		local := at.In(spec.Zone)
		d.Day = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
		return s.onThisDay(ctx, d.Day, add)
	}
	return nil
}

// coveredDay is the day a "day" digest built at covers, as a UTC
// midnight.
func (sp Spec) coveredDay(at time.Time) time.Time {
	local := at.In(sp.Zone)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	if sp.Covers == CoversToday {
		return day
	}
	return day.AddDate(0, 0, -1)
}

// lookBack is the range of days a channel's first "new" digest built at
// holds: the whole days (in the zone) that LookBack before at touches,
// through at's day.
func (sp Spec) lookBack(at time.Time) *corpus.Range {
	day := func(t time.Time) time.Time {
		t = t.In(sp.Zone)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return &corpus.Range{From: day(at.Add(-sp.LookBack)), To: day(at)}
}

// MomentCovering is the moment to build the digest at so that it covers
// day (a calendar date): for a "day" digest covering yesterday, the end of
// the next day; otherwise the end of day itself, in the spec's zone.
func (sp Spec) MomentCovering(day time.Time) time.Time {
	sp = sp.withDefaults()
	y, m, d := day.Date()
	if sp.Rule == SelectDay && sp.Covers == CoversYesterday {
		d++
	}
	return time.Date(y, m, d, 23, 59, 59, 0, sp.Zone)
}

// Coverage says in words what the digest holds, for previews and
// schedules: "the day before each run", "articles stored since the
// previous digest (the first: dated within the last 24h0m0s)".
func (sp Spec) Coverage() string {
	sp = sp.withDefaults()
	switch sp.Rule {
	case SelectDay:
		if sp.Covers == CoversToday {
			return "articles dated the day of each run (covers: today)"
		}
		return "articles dated the day before each run (covers: yesterday)"
	case SelectOnThisDay:
		return "articles dated the day of each run in earlier years"
	}
	return fmt.Sprintf("articles stored since the channel's previous digest; the first covers articles dated within the last %s", humanDuration(sp.LookBack))
}

// humanDuration writes whole days and hours as "1 day", "36 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, plural(n, "day", "days"))
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return fmt.Sprintf("%d %s", n, plural(n, "hour", "hours"))
	}
	return d.String()
}

// errStop ends a walk over the change log early.
var errStop = errors.New("stop")

// newSince calls add for each article stored after change since, up to and
// including change upto, that is still stored.
func (s *Service) newSince(ctx context.Context, since, upto uint64, add func(corpus.Article)) error {
	ids, err := s.changedSince(ctx, since, upto)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a, err := s.db.Article(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted after upto
		}
		if err != nil {
			return err
		}
		add(a)
	}
	return nil
}

// changedSince returns the IDs of the articles stored after change since,
// up to and including change upto, and not deleted by upto, in the order
// of their first change.
func (s *Service) changedSince(ctx context.Context, since, upto uint64) ([]string, error) {
	var order []string
	live := map[string]bool{}
	err := s.db.Changes(ctx, since, func(ch store.Change) error {
		if ch.Seq > upto {
			return errStop
		}
		if _, ok := live[ch.ID]; !ok {
			order = append(order, ch.ID)
		}
		live[ch.ID] = !ch.Deleted
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return slices.DeleteFunc(order, func(id string) bool { return !live[id] }), nil
}

// onThisDay calls add for each article dated day's month and day in an
// earlier year, newest year first.
func (s *Service) onThisDay(ctx context.Context, day time.Time, add func(corpus.Article)) error {
	feb28 := day.Month() == time.February && day.Day() == 28 && !isLeap(day.Year())
	for y := day.Year() - 1; y >= earliestYear; y-- {
		days := []int{day.Day()}
		if feb28 && isLeap(y) {
			days = append(days, 29)
		}
		for _, dd := range days {
			if day.Month() == time.February && dd == 29 && !isLeap(y) {
				continue
			}
			t := time.Date(y, day.Month(), dd, 0, 0, 0, 0, time.UTC)
			arts, err := s.db.Between(ctx, t, t)
			if err != nil {
				return err
			}
			for _, a := range arts {
				add(a)
			}
		}
	}
	return nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// newerFirst orders articles by date, newest first (a day before the month
// it is in), undated last, then by ID.
func newerFirst(a, b corpus.Article) int {
	ak, bk := a.Date.Known(), b.Date.Known()
	if ak != bk {
		if ak {
			return -1
		}
		return 1
	}
	if ak {
		af, _, _ := a.Date.Span()
		bf, _, _ := b.Date.Span()
		if c := bf.Compare(af); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Date.Precision, a.Date.Precision); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.ID, b.ID)
}

// filter applies a spec's include and exclude lists.
type filter struct {
	s                *Service
	include, exclude [][]string // each entry's terms
}

func (s *Service) newFilter(spec Spec) filter {
	f := filter{s: s}
	entries := func(words []string) [][]string {
		var out [][]string
		for _, w := range words {
			if terms := s.analyze(w); len(terms) > 0 {
				out = append(out, terms)
			}
		}
		return out
	}
	f.include, f.exclude = entries(spec.Include), entries(spec.Exclude)
	return f
}

func (f filter) keep(a corpus.Article) bool {
	if len(f.include) == 0 && len(f.exclude) == 0 {
		return true
	}
	terms := map[string]bool{}
	for _, t := range f.s.analyze(a.Title + "\n\n" + a.Body) {
		terms[t] = true
	}
	matches := func(entry []string) bool {
		for _, t := range entry {
			if !terms[t] {
				return false
			}
		}
		return true
	}
	for _, e := range f.exclude {
		if matches(e) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	return slices.ContainsFunc(f.include, matches)
}
