package digest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./digest -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./digest -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var (
	// creditRE: what a credit, source or footer line starts with.
	creditRE = regexp.MustCompile(`(?i)^[(（\[]?\s*(editor|reporters?|producer|chief producer|proofread|photo|source|copyright|address|visual sense)\s*[:：]`)
	htmlRE   = regexp.MustCompile(`(?i)\bhtml`)
)

// checkSentence reports why s is not a whole, clean sentence, or "".
// These rules are written independently of the classifier in quality.go.
func checkSentence(s string) string {
	trimmed := strings.TrimRight(s, `"'”’)`)
	last, _ := utf8.DecodeLastRuneInString(trimmed)
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, `"'“‘(`))
	switch {
	case creditRE.MatchString(s) || strings.Contains(strings.ToLower(s), "file photo") || strings.Contains(s, "ICP"):
		return "credit or footer line"
	case htmlRE.MatchString(s):
		return "html token"
	case !strings.ContainsRune(".!?。！？", last):
		return "does not end a sentence"
	case strings.HasSuffix(trimmed, "..") || strings.HasSuffix(trimmed, "…"):
		return "trails off"
	case !unicode.IsUpper(first) && !unicode.IsDigit(first) && !unicode.Is(unicode.Han, first):
		return "does not start a sentence"
	case strings.Count(s, `"`)%2 != 0 || strings.Count(s, "“") != strings.Count(s, "”"):
		return "unbalanced quotes: part of a longer quotation"
	}
	return ""
}

// checkSummary checks a summary of a against opts: whole clean sentences of
// the article, in order, no repeats, within the budget and count.
func checkSummary(t *testing.T, a corpus.Article, sum Summary, opts Options) {
	t.Helper()
	opts = opts.withDefaults()
	body := strings.Join(strings.Fields(a.Body), " ")
	if len(sum.Sentences) > opts.Sentences {
		t.Errorf("%s: %d sentences, want at most %d", a.Source, len(sum.Sentences), opts.Sentences)
	}
	if n := utf8.RuneCountInString(sum.Text()); n > opts.MaxChars {
		t.Errorf("%s: %d characters, budget %d", a.Source, n, opts.MaxChars)
	}
	pos := -1
	seen := map[string]bool{}
	for _, s := range sum.Sentences {
		if why := checkSentence(s); why != "" {
			t.Errorf("%s: %s: %q", a.Source, why, s)
		}
		i := strings.Index(body, s)
		switch {
		case i < 0:
			t.Errorf("%s: not a sentence of the article: %q", a.Source, s)
		case i <= pos:
			t.Errorf("%s: out of order: %q", a.Source, s)
		}
		pos = i
		if seen[s] || (s == a.Title && len(sum.Sentences) > 1) {
			t.Errorf("%s: repeated (or the title again): %q", a.Source, s)
		}
		seen[s] = true
	}
}

// TestSummariesGolden: the LexRank and Lead-3 summaries of the sample
// corpus (IDF over the corpus), in testdata/summaries, each checked for
// whole clean sentences.
func TestSummariesGolden(t *testing.T) {
	arts := testenv.SampleArticles(t)
	stats := statsOf(arts)
	s := testSummarizer(t)
	for _, a := range arts {
		var b strings.Builder
		b.WriteString("# " + a.Title + "\n")
		for _, m := range []Method{LexRank, Lead3} {
			opts := Options{Method: m}
			sum := s.Summarize(a, stats, opts)
			if len(sum.Sentences) != DefaultSentences {
				t.Errorf("%s %s: %d sentences, want %d", a.Source, m, len(sum.Sentences), DefaultSentences)
			}
			checkSummary(t, a, sum, opts)
			if again := s.Summarize(a, stats, opts); !slices.Equal(again.Sentences, sum.Sentences) {
				t.Errorf("%s %s: not deterministic", a.Source, m)
			}
			b.WriteString("\n## " + string(m) + "\n")
			for _, x := range sum.Sentences {
				b.WriteString(x + "\n")
			}
		}
		golden(t, filepath.Join("summaries", strings.TrimSuffix(a.Source, ".txt")+".golden"), b.String())
	}
}

func TestSummaryBudgetAndCount(t *testing.T) {
	arts := testenv.SampleArticles(t)
	stats := statsOf(arts)
	s := testSummarizer(t)
	for _, opts := range []Options{{MaxChars: 150}, {MaxChars: 300, Sentences: 5}, {Sentences: 1}, {Sentences: 10, MaxChars: 3000}} {
		for _, a := range arts {
			sum := s.Summarize(a, stats, opts)
			checkSummary(t, a, sum, opts)
			if len(sum.Sentences) == 0 {
				t.Errorf("%s %+v: empty summary", a.Source, opts)
			}
		}
	}
	// Nothing fits a 20-character budget: no summary rather than half a sentence.
	if sum := s.Summarize(arts[0], stats, Options{MaxChars: 20}); len(sum.Sentences) != 0 {
		t.Errorf("20-character budget gave %q", sum.Sentences)
	}
}

func TestSummaryEdgeCases(t *testing.T) {
	s := testSummarizer(t)
	cases := []struct {
		name, title, body string
		want              []string
	}{
		{"empty", "Nothing", "", nil},
		{"only boilerplate", "Credits", "Editor: Liao Yi\n\nReporters: Yan Rui, He Shan\n\n(File photo)", nil},
		{"the same sentence twice", "Storm", "The storm closed the port for a week. Ships waited offshore for days.\n\nThe storm closed the port for a week.",
			[]string{"The storm closed the port for a week.", "Ships waited offshore for days."}},
		{"title sentence not repeated", "The harbor reopened on Friday after repairs.", "The harbor reopened on Friday after repairs. Twelve ships will berth by Sunday. Engineers sealed the breach overnight.",
			[]string{"Twelve ships will berth by Sunday.", "Engineers sealed the breach overnight."}},
		{"CJK", "漠河", "漠河市是中国最北的城市，以党建闻名。边防派出所的民警守护着北极村。北极镇的每个家庭都是哨所。",
			[]string{"漠河市是中国最北的城市，以党建闻名。", "边防派出所的民警守护着北极村。", "北极镇的每个家庭都是哨所。"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := corpus.Article{Title: c.title, Body: c.body, Source: c.name}
			sum := s.Summarize(a, nil, Options{})
			if !slices.Equal(sum.Sentences, c.want) {
				t.Errorf("got %q, want %q", sum.Sentences, c.want)
			}
			checkSummary(t, a, sum, Options{})
		})
	}
	for s, want := range map[string]bool{
		`"I really did not expect that many views."`:           true,
		"“We will talk about what the times need.”":            true,
		`"Xiao Wu," he said, "you must go on."`:                false,
		`The instructor said to me, "Xiao Wu, go on bravely."`: false,
	} {
		if bareQuote(s) != want {
			t.Errorf("bareQuote(%q) = %v", s, !want)
		}
	}
	if got := (Summary{Sentences: []string{"甲。", "乙。", "Then B."}}).Text(); got != "甲。乙。Then B." {
		t.Errorf("CJK join: %q", got)
	}
}

// TestSummaryKeepsTheLead: an article without a headline is titled with
// its first sentence, cut to 200 characters; the whole lead is its gist
// and stays in the summary. A one-sentence article's summary is that
// sentence, as /digest, /article and summarize all show it.
func TestSummaryKeepsTheLead(t *testing.T) {
	s := testSummarizer(t)
	lead := "A major chipmaker opened a $2 billion semiconductor plant outside Columbus on Tuesday, promising three thousand jobs by 2026 and a second plant if demand for car and phone chips keeps growing through the rest of the decade."
	rest := " The governor attended the ribbon cutting. Construction took three years and faced delays from supply shortages. Local officials said housing prices near the site have already risen. Unions welcomed the jobs but asked for training programs."
	cases := []struct {
		name, file string
		want       string // the first summary sentence
		n          int
	}{
		{"lead longer than a title", lead + rest, lead, 3},
		{"headline and lead", "Chipmaker opens plant in Ohio\n\n" + lead + rest, lead, 3},
		{"one sentence", "The harbor reopened on Friday after a week of repairs.", "The harbor reopened on Friday after a week of repairs.", 1},
	}
	for _, c := range cases {
		a, err := corpus.Parse(c.name+".txt", []byte(c.file))
		if err != nil {
			t.Fatal(err)
		}
		sum := s.Summarize(a, nil, Options{})
		if len(sum.Sentences) != c.n || sum.Sentences[0] != c.want {
			t.Errorf("%s (title %q): summary %q, want %d sentences from %q", c.name, a.Title, sum.Sentences, c.n, c.want)
		}
		checkSummary(t, a, sum, Options{})
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Sentences: -1}, {Sentences: 11}, {MaxChars: 5000}, {Method: "textrank"}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (Options{Sentences: 3, MaxChars: 700, Method: Lead3}).Validate(); err != nil {
		t.Error(err)
	}
}

// countingStore counts summary cache writes.
type countingStore struct {
	*store.DB
	puts int
}

func (c *countingStore) PutSummaries(ctx context.Context, params string, values map[string][]byte) error {
	c.puts += len(values)
	return c.DB.PutSummaries(ctx, params, values)
}

// TestServiceCachesSummaries: a summary is made once and then read from the
// store; an article that changes (new content hash) gets a new one.
func TestServiceCachesSummaries(t *testing.T) {
	ctx := context.Background()
	db := &countingStore{DB: testenv.OpenDB(t)}
	arts := testenv.SampleArticles(t)
	testenv.PutArticles(t, db.DB, arts...)
	svc, err := New(db, testAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.Summary(ctx, arts[0], Options{})
	if err != nil || len(first.Sentences) == 0 || db.puts != 1 {
		t.Fatalf("first summary: %v, %d cached, %v", first.Sentences, db.puts, err)
	}
	st, err := svc.Stats(ctx)
	if err != nil || st.Docs() != len(arts) || st.DocFreq("mohe") != 1 || st.DocFreq("party") != 5 {
		t.Fatalf("stats: docs %d, df(mohe) %d, df(party) %d, %v", st.Docs(), st.DocFreq("mohe"), st.DocFreq("party"), err)
	}
	again, err := svc.Summary(ctx, arts[0], Options{})
	if err != nil || !slices.Equal(again.Sentences, first.Sentences) || db.puts != 1 {
		t.Fatalf("second summary not from the cache: %d cached, %v", db.puts, err)
	}
	// A new service (a restart) finds it too.
	svc2, _ := New(db, testAnalyze)
	if _, err := svc2.Summary(ctx, arts[0], Options{}); err != nil || db.puts != 1 {
		t.Fatalf("after restart: %d cached, %v", db.puts, err)
	}
	// Other options are another summary.
	if _, err := svc.Summary(ctx, arts[0], Options{Sentences: 2}); err != nil || db.puts != 2 {
		t.Fatalf("other options: %d cached, %v", db.puts, err)
	}
	// The article changes: its hash changes and the summary is made again.
	changed := arts[0]
	changed.Body = "Mohe opened a new border museum on Monday, the city said. " + changed.Body
	changed.Hash = strings.Repeat("f", 64)
	changed.ID = changed.Hash[:12]
	sum, err := svc.Summary(ctx, changed, Options{})
	if err != nil || db.puts != 3 {
		t.Fatalf("changed article: %d cached, %v", db.puts, err)
	}
	checkSummary(t, changed, sum, Options{})
}

// TestAnalyzeEach: analysing all sentences in one call gives what one
// call per sentence gives, and an analyzer that mangles the marker is
// called per sentence.
func TestAnalyzeEach(t *testing.T) {
	texts := []string{"The border police patrol.", "", "漠河市是中国最北的城市。", "Patrols' carvings, 4.936 million!", "Last one"}
	check := func(name string, an Analyzer, wantMarker bool) {
		s := NewSummarizer(an, testSplitter(t))
		if (s.marker != "") != wantMarker {
			t.Errorf("%s: marker %q", name, s.marker)
		}
		got := s.analyzeEach(texts)
		for i, text := range texts {
			if want := an(text); !slices.Equal(got[i], want) {
				t.Errorf("%s: text %d: %q, want %q", name, i, got[i], want)
			}
		}
	}
	check("test analyzer", testAnalyze, true)
	check("drops long words", func(s string) []string {
		var out []string
		for _, w := range testAnalyze(s) {
			if len(w) < 10 {
				out = append(out, w)
			}
		}
		return out
	}, false)
	check("word pairs", func(s string) []string {
		w := testAnalyze(s)
		var out []string
		for i := 0; i+1 < len(w); i++ {
			out = append(out, w[i]+"_"+w[i+1])
		}
		return out
	}, false)
	// A text holding the marker itself is analysed on its own.
	s := NewSummarizer(testAnalyze, testSplitter(t))
	odd := []string{"a " + breakMarker + " b", "c"}
	if got := s.analyzeEach(odd); !slices.Equal(got[0], testAnalyze(odd[0])) || !slices.Equal(got[1], []string{"c"}) {
		t.Errorf("text with the marker: %q", got)
	}
}
