package digest

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

func itemIDs(d Digest) []string {
	var out []string
	for _, it := range d.Items {
		out = append(out, it.ID)
	}
	return out
}

func itemDates(d Digest) []string {
	var out []string
	for _, it := range d.Items {
		out = append(out, it.Date.String())
	}
	return out
}

func build(t *testing.T, svc *Service, spec Spec, at time.Time) Digest {
	t.Helper()
	d, err := svc.Build(context.Background(), spec, at)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildRules(t *testing.T) {
	e := newEnv(t, true)
	ny := mustZone(t, "America/New_York")
	utc := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }

	// on-this-day: the Mohe article of 2023-07-03 on 2024-07-03.
	d := build(t, e.svc, Spec{Rule: SelectOnThisDay}, utc("2024-07-03T20:00:00Z"))
	if len(d.Items) != 1 || !strings.HasPrefix(d.Items[0].Title, "Mohe City") || d.Title != "On this day" || d.Day.Format(time.DateOnly) != "2024-07-03" {
		t.Fatalf("on-this-day: %+v", d)
	}
	if n := len(d.Items[0].Summary); n != 3 {
		t.Errorf("Mohe summary has %d sentences", n)
	}
	if d := build(t, e.svc, Spec{Rule: SelectOnThisDay}, utc("2023-07-03T20:00:00Z")); len(d.Items) != 0 {
		t.Errorf("on-this-day counts the same year: %v", itemIDs(d))
	}

	// day: the day before, in the digest's zone.
	d = build(t, e.svc, Spec{Rule: SelectDay}, utc("2023-07-04T06:00:00Z"))
	if len(d.Items) != 1 || d.Items[0].Date.String() != "2023-07-03" || d.Day.Format(time.DateOnly) != "2023-07-03" {
		t.Errorf("day: %v", itemDates(d))
	}
	// 02:00 UTC on the 4th is still the 3rd in New York: its previous day is the 2nd.
	if d := build(t, e.svc, Spec{Rule: SelectDay, Zone: ny}, utc("2023-07-04T02:00:00Z")); len(d.Items) != 0 || d.Day.Format(time.DateOnly) != "2023-07-02" {
		t.Errorf("day in New York: %v %s", itemDates(d), d.Day)
	}
	// An article dated only to the month is never in a day's digest.
	if d := build(t, e.svc, Spec{Rule: SelectDay}, utc("2021-09-02T06:00:00Z")); len(d.Items) != 0 {
		t.Errorf("month-precision article in a day digest: %v", itemDates(d))
	}

	// new, without a channel: everything, newest first.
	d = build(t, e.svc, Spec{}, utc("2024-07-03T08:00:00Z"))
	if got := strings.Join(itemDates(d), " "); got != "2023-08-08 2023-07-03 2022-11-05 2022-07-13 2021-09" {
		t.Errorf("new: dates %s", got)
	}
	if d.Since != 0 || d.Seq == 0 || d.Title != "New articles" {
		t.Errorf("new: since %d seq %d title %q", d.Since, d.Seq, d.Title)
	}
	// new, for a channel whose last digest covered everything so far.
	ctx := context.Background()
	if _, _, err := e.db.BeginRun(ctx, store.DigestRun{Digest: "x", Slot: "s", Channel: "100", State: store.RunDone, Seq: d.Seq}); err != nil {
		t.Fatal(err)
	}
	if d := build(t, e.svc, Spec{Channel: "100"}, utc("2024-07-04T08:00:00Z")); len(d.Items) != 0 || d.Since != d.Seq {
		t.Errorf("nothing new: %v since %d seq %d", itemIDs(d), d.Since, d.Seq)
	}
	fresh := synthArticles(t, 1)[0]
	testenv.PutArticles(t, e.db, fresh)
	if d := build(t, e.svc, Spec{Channel: "100"}, utc("2024-07-04T08:00:00Z")); !slices.Equal(itemIDs(d), []string{fresh.ID}) {
		t.Errorf("one new article: %v", itemIDs(d))
	}
	// Deleted since: not shown.
	if err := e.db.Delete(ctx, fresh.ID); err != nil {
		t.Fatal(err)
	}
	if d := build(t, e.svc, Spec{Channel: "100"}, utc("2024-07-04T08:00:00Z")); len(d.Items) != 0 {
		t.Errorf("deleted article shown: %v", itemIDs(d))
	}
}

// TestFirstNewDigestLooksBack: a channel's first "new" digest holds only
// the articles dated within its look-back (default one day), not the whole
// archive; its empty message says why; the next digest takes what is new.
func TestFirstNewDigestLooksBack(t *testing.T) {
	e := newEnv(t, true) // sample articles dated 2021 to 2023-08-08
	at := time.Date(2023, 8, 9, 7, 0, 0, 0, time.UTC)
	cases := []struct {
		lookBack time.Duration
		want     string
	}{
		{0, "2023-08-08"}, // default: one day, the previous day and today
		{36 * time.Hour, "2023-08-08"},
		{2 * 24 * time.Hour, "2023-08-08"},
		{40 * 24 * time.Hour, "2023-08-08 2023-07-03"},
	}
	for _, c := range cases {
		d := build(t, e.svc, Spec{Channel: "100", LookBack: c.lookBack}, at)
		if got := strings.Join(itemDates(d), " "); got != c.want || d.More != 0 || d.First == nil {
			t.Errorf("look-back %s: dates %q, more %d, first %v; want %q", c.lookBack, got, d.More, d.First, c.want)
		}
	}
	d := build(t, e.svc, Spec{Channel: "100"}, time.Date(2024, 1, 1, 7, 0, 0, 0, time.UTC))
	if !d.Empty() || d.First == nil || d.First.String() != "2023-12-31..2024-01-01" {
		t.Fatalf("a year later: %v first %v", itemDates(d), d.First)
	}
	if got := emptyLine(d); !strings.Contains(got, "dated within 2023-12-31..2024-01-01") || !strings.Contains(got, "first digest") {
		t.Errorf("empty first digest says %q", got)
	}
	// Once a digest is recorded for the channel, "new" means new.
	ctx := context.Background()
	if _, _, err := e.db.BeginRun(ctx, store.DigestRun{Digest: "x", Slot: "s", Channel: "100", State: store.RunDone, Seq: d.Seq}); err != nil {
		t.Fatal(err)
	}
	fresh := newArticle("f", "Old news stored today.", corpus.Date{})
	testenv.PutArticles(t, e.db, fresh)
	if d := build(t, e.svc, Spec{Channel: "100"}, time.Date(2024, 1, 2, 7, 0, 0, 0, time.UTC)); d.First != nil || !slices.Equal(itemIDs(d), []string{fresh.ID}) {
		t.Errorf("second digest: %v first %v", itemIDs(d), d.First)
	}
}

// TestDayDigestCovers: "covers: today" takes the day of the run;
// MomentCovering builds a digest that covers the day asked for.
func TestDayDigestCovers(t *testing.T) {
	e := newEnv(t, true)
	at := time.Date(2023, 7, 3, 21, 0, 0, 0, time.UTC)
	if d := build(t, e.svc, Spec{Rule: SelectDay, Covers: CoversToday}, at); d.Day.Format(time.DateOnly) != "2023-07-03" || len(d.Items) != 1 {
		t.Errorf("covers today: day %s, %v", d.Day, itemDates(d))
	}
	if d := build(t, e.svc, Spec{Rule: SelectDay}, at); d.Day.Format(time.DateOnly) != "2023-07-02" {
		t.Errorf("covers yesterday: day %s", d.Day)
	}
	day := time.Date(2023, 8, 8, 0, 0, 0, 0, time.UTC)
	for _, sp := range []Spec{{Rule: SelectDay}, {Rule: SelectDay, Covers: CoversToday}} {
		d := build(t, e.svc, sp, sp.MomentCovering(day))
		if d.Day.Format(time.DateOnly) != "2023-08-08" || len(d.Items) != 1 {
			t.Errorf("covers %q, MomentCovering(2023-08-08): day %s, %v", sp.Covers, d.Day, itemDates(d))
		}
	}
	if _, err := ParseCovers("tomorrow"); err == nil {
		t.Error("covers: tomorrow accepted")
	}
	if err := (Spec{Covers: "tomorrow"}).Validate(); err == nil {
		t.Error("Spec with covers tomorrow validates")
	}
	for _, c := range []struct {
		sp   Spec
		want string
	}{
		{Spec{Rule: SelectDay}, "day before each run (covers: yesterday)"},
		{Spec{Rule: SelectDay, Covers: CoversToday}, "day of each run (covers: today)"},
		{Spec{}, "within the last 1 day"},
		{Spec{LookBack: 36 * time.Hour}, "within the last 36 hours"},
	} {
		if got := c.sp.Coverage(); !strings.Contains(got, c.want) {
			t.Errorf("Coverage(%+v) = %q, want it to contain %q", c.sp, got, c.want)
		}
	}
}

func TestBuildKeywordFilters(t *testing.T) {
	e := newEnv(t, true)
	at := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	sources := func(d Digest) string {
		var out []string
		for _, it := range d.Items {
			out = append(out, it.Source[:3])
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		include, exclude []string
		want             string // source prefixes, newest first
	}{
		{[]string{"border police"}, nil, "000"},
		{[]string{"carvings"}, nil, "002"}, // stemmed: "carving", "carvings"
		{[]string{"Patrols"}, nil, "000"},
		{[]string{"Harbin", "Urumqi"}, nil, "001 003 004"},
		{nil, []string{"Xinjiang"}, "001 004"},
		{[]string{"party"}, []string{"Heilongjiang"}, "002 003"},
		{[]string{"nonexistentword"}, nil, ""},
	}
	for _, c := range cases {
		d := build(t, e.svc, Spec{Include: c.include, Exclude: c.exclude}, at)
		if got := sources(d); got != c.want {
			t.Errorf("include %q exclude %q: %q, want %q", c.include, c.exclude, got, c.want)
		}
	}
}

// TestBuildNearDuplicates: a story stored twice in different words is shown
// once, with "also in"; a different story on the same topic is not folded.
func TestBuildNearDuplicates(t *testing.T) {
	e := newEnv(t, true)
	dir := filepath.Join("testdata", "dups")
	a, b, c := parseFile(t, filepath.Join(dir, "same1-a.txt")), parseFile(t, filepath.Join(dir, "same1-b.txt")), parseFile(t, filepath.Join(dir, "diff1-b.txt"))
	testenv.PutArticles(t, e.db, a, b, c)
	d := build(t, e.svc, Spec{}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	if len(d.Items) != 7 {
		t.Fatalf("%d stories, want 7 (5 samples, the harbor story once, the terminal plan)", len(d.Items))
	}
	var harbor *Item
	for i := range d.Items {
		if d.Items[i].ID == a.ID || d.Items[i].ID == b.ID {
			harbor = &d.Items[i]
		}
	}
	if harbor == nil || len(harbor.AlsoIn) != 1 || (harbor.AlsoIn[0].ID != a.ID && harbor.AlsoIn[0].ID != b.ID) {
		t.Fatalf("harbor story: %+v", harbor)
	}
	desc := Render(d)[0].Embeds[1].Description
	if !strings.Contains(desc, "*also in:* same1-") {
		t.Errorf("no also-in line:\n%s", desc)
	}
}

func TestBuildOverflow(t *testing.T) {
	e := newEnv(t, true)
	testenv.PutArticles(t, e.db, synthArticles(t, 12)...)
	d := build(t, e.svc, Spec{MaxArticles: 5}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	if len(d.Items) != 5 || d.More != 12 {
		t.Fatalf("%d stories and %d more, want 5 and 12", len(d.Items), d.More)
	}
	msgs := Render(d)
	last := msgs[len(msgs)-1].Content
	if !strings.Contains(last, "12 more stories — try /search") || !strings.Contains(msgs[0].Content, "17 stories") {
		t.Errorf("contents %q / %q", msgs[0].Content, last)
	}
	d = build(t, e.svc, Spec{MaxArticles: 5, Include: []string{"party"}}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	if msgs := Render(d); d.More != 0 || strings.Contains(msgs[0].Content, "more") {
		t.Errorf("filtered: %d more, %q", d.More, msgs[0].Content)
	}
}

func TestOnThisDayLeapDay(t *testing.T) {
	e := newEnv(t, false)
	mk := func(id string, y int, m time.Month, dd int) corpus.Article {
		date, ok := corpus.DayDate(y, m, dd, corpus.FromHeader)
		if !ok {
			t.Fatal("bad date")
		}
		return newArticle(id, "Story of "+date.String()+".", date)
	}
	leap, feb28, mar1 := mk("1", 2020, 2, 29), mk("2", 2019, 2, 28), mk("3", 2021, 3, 1)
	testenv.PutArticles(t, e.db, leap, feb28, mar1)
	for at, want := range map[string][]string{
		"2023-02-28": {leap.ID, feb28.ID}, // a common year's 28 February includes 29 February
		"2024-02-28": {feb28.ID},
		"2024-02-29": {leap.ID},
		"2024-03-01": {mar1.ID},
	} {
		day, _ := time.Parse(time.DateOnly, at)
		if got := itemIDs(build(t, e.svc, Spec{Rule: SelectOnThisDay}, day.Add(12*time.Hour))); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", at, got, want)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	for _, sp := range []Spec{{Rule: "weekly"}, {MaxArticles: 101}, {MaxArticles: -1}, {Include: []string{" "}}, {Summary: Options{Sentences: 20}}} {
		if sp.Validate() == nil {
			t.Errorf("%+v accepted", sp)
		}
	}
	if r, err := ParseRule("On-This-Day"); err != nil || r != SelectOnThisDay {
		t.Errorf("ParseRule: %v %v", r, err)
	}
}
