package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

const mohe = "ad0293d1ae8f" // the sample corpus's Mohe article

func TestSummarizeCommand(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "summarize", mohe[:6], "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		ID, Title, Date, Method, Summary string
		Sentences                        []string
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.ID != mohe || res.Date != "2023-07-03" || res.Method != "lexrank" || len(res.Sentences) != 3 || len([]rune(res.Summary)) > 700 {
		t.Fatalf("summarize --json: %+v", res)
	}
	for _, s := range res.Sentences {
		if !strings.Contains(s, "Mohe") && !strings.Contains(s, "border") && !strings.Contains(s, "Party") {
			t.Errorf("off-topic sentence %q", s)
		}
	}
	out, _, err = run(t, dir, "summarize", mohe, "--sentences", "1", "--method", "lead3")
	if err != nil || !strings.HasPrefix(out, "Mohe City in the Arctic Village") || !strings.Contains(out, "\n\nThe phrase “Being in the northernmost heart") {
		t.Errorf("summarize text (lead3, 1 sentence): %v\n%s", err, out)
	}
	var ue usageError
	for _, args := range [][]string{{"summarize"}, {"summarize", mohe, "--sentences", "0"}, {"summarize", mohe, "--method", "magic"}} {
		if _, _, err := run(t, dir, args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := run(t, dir, "summarize", "zzzzzz"); err == nil || !strings.Contains(err.Error(), "No article has the ID") {
		t.Errorf("unknown ID: %v", err)
	}
}

// TestDigestOnThisDay is the acceptance check: the Mohe article
// with a three-sentence summary, on 2024-07-03.
func TestDigestOnThisDay(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "digest", "--select", "on-this-day", "--date", "2024-07-03", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Title, Date, Select string
		Articles            []struct{ ID, Title, Date, Source, Summary string }
		Messages            []digest.Message
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Title != "On this day" || res.Date != "2024-07-03" || len(res.Articles) != 1 || res.Articles[0].ID != mohe {
		t.Fatalf("digest --json: %+v", res)
	}
	if len(res.Messages) != 1 || len(res.Messages[0].Embeds) != 1 || !strings.Contains(res.Messages[0].Embeds[0].Description, "<t:1688385600:D>") {
		t.Errorf("messages: %+v", res.Messages)
	}
	if n := strings.Count(res.Articles[0].Summary, ". "); n != 2 {
		t.Errorf("summary is not three sentences: %q", res.Articles[0].Summary)
	}
	out, _, err = run(t, dir, "digest", "--select", "on-this-day", "--date", "2024-07-03")
	if err != nil || !strings.Contains(out, "┌ Mohe City") || !strings.Contains(out, "2023-07-03 · 000_3f43ee69d8cb5553.txt") {
		t.Errorf("digest text: %v\n%s", err, out)
	}
	// day: --date names the day the digest covers (a digest covering
	// yesterday, as built the morning after).
	out, _, err = run(t, dir, "digest", "--select", "day", "--date", "2023-07-03", "--json")
	must(t, err)
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Date != "2023-07-03" || len(res.Articles) != 1 || res.Articles[0].ID != mohe {
		t.Errorf("day digest: %+v", res)
	}
	out, _, err = run(t, dir, "digest", "--select", "day", "--date", "2023-07-04")
	if err != nil || !strings.Contains(out, "nothing to post") {
		t.Errorf("empty day: %v\n%s", err, out)
	}
	var ue usageError
	for _, args := range [][]string{{"digest", "--select", "weekly"}, {"digest", "--date", "2023-07"}, {"digest", "--name", "nope"}, {"digest", "x"}} {
		if _, _, err := run(t, dir, args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

const digestsConfig = `timezone: UTC
digests:
  - name: morning
    channel: "100200300400500"
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    include: [border police]
  - name: history
    channel: "100200300400500"
    title: This day in the archive
    schedule: "@daily"
    timezone: America/New_York
    select: on-this-day
    catch_up: skip
`

// TestDigestCommandNamedRecordsNothing: a configured digest previews with
// its own settings, and previewing records no run and moves no channel.
func TestDigestCommandNamedRecordsNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	testenv.WriteFile(t, cfg, digestsConfig)
	dbPath := filepath.Join(dir, "d.db")
	// The channel's first digest looks back one day: on 2023-07-03.
	out, _, err := run(t, dir, "--config", cfg, "--db", dbPath, "digest", "--name", "morning", "--date", "2023-07-03", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Title    string
		Articles []struct{ ID string }
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Title != "New articles" || len(res.Articles) != 1 || res.Articles[0].ID != mohe {
		t.Errorf("named digest (include border police): %+v", res)
	}
	out, _, err = run(t, dir, "--config", cfg, "--db", dbPath, "digest", "--name", "history", "--date", "2024-07-03")
	if err != nil || !strings.Contains(out, "This day in the archive") || !strings.Contains(out, "Mohe City") {
		t.Errorf("history: %v\n%s", err, out)
	}
	db, err := store.Open(dbPath, store.Options{})
	must(t, err)
	defer db.Close()
	ctx := context.Background()
	for _, name := range []string{"morning", "history"} {
		if _, ok, err := db.LastRun(ctx, name); ok || err != nil {
			t.Errorf("preview recorded a run of %s (%v)", name, err)
		}
	}
	if _, ok, _ := db.ChannelSeq(ctx, "100200300400500"); ok {
		t.Error("preview moved the channel's position")
	}
}

func TestScheduleCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	testenv.WriteFile(t, cfg, digestsConfig)
	out, _, err := run(t, dir, "--config", cfg, "schedule", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Digests []struct {
			Name, Select, Schedule, Timezone, Covers string
			CatchUp                                  string `json:"catch_up"`
			Next                                     []string
		}
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if len(res.Digests) != 2 {
		t.Fatalf("schedule: %+v", res)
	}
	// The test clock is 2023-07-04 09:00 UTC.
	m, h := res.Digests[0], res.Digests[1]
	if m.Timezone != "Europe/Berlin" || m.Select != "new" || m.CatchUp != "once within 6h" || m.Covers != "since the last digest (first: 1 day)" ||
		strings.Join(m.Next, " ") != "2023-07-05T02:30:00+02:00 2023-07-06T02:30:00+02:00 2023-07-07T02:30:00+02:00" {
		t.Errorf("morning: %+v", m)
	}
	if h.Select != "on-this-day" || h.CatchUp != "skip" || len(h.Next) != 3 || h.Next[0] != "2023-07-05T00:00:00-04:00" {
		t.Errorf("history: %+v", h)
	}
	out, _, err = run(t, dir, "--config", cfg, "schedule")
	if err != nil || !strings.Contains(out, "Wed 2023-07-05 02:30 +02:00") || !strings.Contains(out, "NEXT RUNS") || !strings.Contains(out, "COVERS") {
		t.Errorf("schedule text: %v\n%s", err, out)
	}
	out, _, err = run(t, dir, "schedule")
	if err != nil || !strings.Contains(out, "no digests configured") {
		t.Errorf("no digests: %v %q", err, out)
	}
}

func TestDigestConfigErrors(t *testing.T) {
	base := "digests:\n  - name: a\n    channel: \"123456789\"\n    schedule: \"0 8 * * *\"\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"bad cron", "digests:\n  - name: a\n    channel: \"123456789\"\n    schedule: \"0 25 * * *\"\n", []string{"c.yaml:4", "digests[0].schedule", "25"}},
		{"bad zone", base + "    timezone: Mars/Base\n", []string{"c.yaml:5", "digests[0].timezone", "Mars/Base"}},
		{"bad select", base + "    select: weekly\n", []string{"c.yaml:5", "digests[0].select", "weekly"}},
		{"bad catch-up", base + "    catch_up: twice\n", []string{"c.yaml:5", "digests[0].catch_up"}},
		{"bad window", base + "    catch_up_window: 2s\n", []string{"c.yaml:5", "digests[0].catch_up_window"}},
		{"window not a duration", base + "    catch_up_window: soon\n", []string{"c.yaml:5", "catch_up_window"}},
		{"too many articles", base + "    max_articles: 1000\n", []string{"c.yaml:5", "digests[0].max_articles"}},
		{"budget", base + "    max_chars: 20000\n", []string{"c.yaml:5", "digests[0].max_chars"}},
		{"empty keyword", base + "    include: [police, \"\"]\n", []string{"digests[0].include[1]", "empty keyword"}},
		{"channel not an ID", "digests:\n  - name: a\n    channel: general\n    schedule: \"@daily\"\n", []string{"c.yaml:3", "digests[0].channel", "general"}},
		{"missing schedule", "digests:\n  - name: a\n    channel: \"123456789\"\n", []string{"c.yaml:2", "digests[0].name", "no schedule"}},
		{"missing name", "digests:\n  - channel: \"123456789\"\n    schedule: \"@daily\"\n", []string{"c.yaml:2", "digests[0].channel", "no name"}},
		{"duplicate names", base + "  - name: a\n    channel: \"123456789\"\n    schedule: \"@daily\"\n", []string{"c.yaml:5", "digests[1].name", "unique"}},
		{"unknown key", base + "    cron: x\n", []string{"c.yaml:5", "cron"}},
		{"bad covers", base + "    select: day\n    covers: tomorrow\n", []string{"c.yaml:6", "digests[0].covers", "yesterday or today"}},
		{"covers without day", base + "    covers: today\n", []string{"c.yaml:5", "digests[0].covers", "select: day"}},
		{"look-back too short", base + "    look_back: 10m\n", []string{"c.yaml:5", "digests[0].look_back"}},
		{"every", "digests:\n  - name: a\n    channel: \"123456789\"\n    schedule: \"@every 1h\"\n", []string{"c.yaml:4", "@every"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantConfigError(t, c.yaml, c.want)
		})
	}
	c, err := ParseConfig("c.yaml", []byte(digestsConfig), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	jobs := c.DigestJobs()
	if len(jobs) != 2 || jobs[0].Schedule.Zone().String() != "Europe/Berlin" || jobs[1].Spec.Rule != digest.SelectOnThisDay || jobs[1].CatchUp != digest.CatchUpSkip || jobs[0].Spec.Include[0] != "border police" {
		t.Errorf("jobs: %+v", jobs)
	}
	ex, err := LoadConfig("../../config.example.yaml", env(map[string]string{"HOME": "/home/u"}))
	if err != nil || len(ex.DigestJobs()) != 3 || ex.DigestJobs()[2].Spec.Covers != digest.CoversToday || ex.DigestJobs()[0].Window != 6*60*60*1e9 {
		t.Errorf("example config digests: %v", err)
	}
}

// docFreqs is TermStats over the sample corpus.
type docFreqs struct {
	n  int
	df map[string]int
}

func (d docFreqs) Docs() int               { return d.n }
func (d docFreqs) DocFreq(term string) int { return d.df[term] }

// BenchmarkSummarizeWithSearchTerms summarises the 1,006-word sample
// article with the analyzer digestbot runs with (search.Terms), IDF over
// the sample corpus:
//
//	go test ./cmd/digestbot -run '^$' -bench SummarizeWithSearchTerms -benchmem
func BenchmarkSummarizeWithSearchTerms(b *testing.B) {
	var arts []corpus.Article
	stats := docFreqs{df: map[string]int{}}
	for _, f := range corpus.Sample() {
		data, err := f.Read(0)
		if err != nil {
			b.Fatal(err)
		}
		a, err := corpus.Parse(f.Name, data)
		if err != nil {
			b.Fatal(err)
		}
		arts = append(arts, a)
		seen := map[string]bool{}
		for _, t := range search.Terms(a.Title + "\n\n" + a.Body) {
			if !seen[t] {
				seen[t] = true
				stats.df[t]++
			}
		}
		stats.n++
	}
	sp, err := digest.NewSplitter()
	if err != nil {
		b.Fatal(err)
	}
	s := digest.NewSummarizer(search.Terms, sp)
	a := arts[1]
	if a.Words < 1000 || a.Words > 1020 {
		b.Fatalf("sample article has %d words", a.Words)
	}
	for b.Loop() {
		if sum := s.Summarize(a, stats, digest.Options{}); len(sum.Sentences) != 3 {
			b.Fatalf("%d sentences", len(sum.Sentences))
		}
	}
}

// BenchmarkDigest50From50kWithSearchTerms is digest's
// BenchmarkDigest50From50k with the analyzer digestbot runs with: a
// 50-story "new" digest from 50,000 synthetic articles, summaries cached
// or made in the run. Building the store and its term counts takes about
// two minutes:
//
//	go test ./cmd/digestbot -run '^$' -bench Digest50From50k -benchtime 20x
func BenchmarkDigest50From50kWithSearchTerms(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(b.TempDir(), "big.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := synth.New(1, 30000)
	for start := 0; start < 50000; start += 1000 {
		files := make([]store.File, 0, 1000)
		for i := start; i < start+1000; i++ {
			a, err := corpus.Parse(fmt.Sprintf("a%06d.txt", i), []byte(g.Article(i)))
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, store.File{Path: a.Source, RawHash: a.Hash, Article: a})
		}
		if _, err := db.Put(ctx, files); err != nil {
			b.Fatal(err)
		}
	}
	svc, err := (&Main{}).digestService(db)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Stats(ctx); err != nil {
		b.Fatal(err)
	}
	last, _ := db.LastSeq(ctx)
	if _, _, err := db.BeginRun(ctx, store.DigestRun{Digest: "bench", Slot: "0", Channel: "1", State: store.RunDone, Seq: last - 50}); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	build := func(b *testing.B, spec digest.Spec) {
		d, err := svc.Build(ctx, spec, at)
		if err != nil || len(d.Items) != 50 || len(digest.Render(d)) == 0 {
			b.Fatalf("%d stories, %v", len(d.Items), err)
		}
	}
	// cpu-ns/op is the process's CPU time per digest: steadier than wall
	// time on a shared machine (a digest's summaries run on every CPU).
	reportCPU := func(b *testing.B, cpu0 time.Duration, ok bool) {
		if cpu1, ok1 := testenv.CPUTime(); ok && ok1 && b.N > 0 {
			b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
		}
	}
	b.Run("cached", func(b *testing.B) {
		spec := digest.Spec{Channel: "1", MaxArticles: 50}
		build(b, spec)
		cpu0, ok := testenv.CPUTime()
		for b.Loop() {
			build(b, spec)
		}
		reportCPU(b, cpu0, ok)
	})
	b.Run("uncached", func(b *testing.B) {
		i := 0
		cpu0, ok := testenv.CPUTime()
		for b.Loop() {
			i++
			build(b, digest.Spec{Channel: "1", MaxArticles: 50, Summary: digest.Options{MaxChars: 700 + i}})
		}
		reportCPU(b, cpu0, ok)
	})
}
