package search

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/digestbot/digestbot/internal/apperr"
)

// show renders a parsed query compactly: word, "phrase", prefix*, -neg,
// op:value.
func show(pq parsedQuery) string {
	var parts []string
	for _, c := range pq.clauses {
		s := c.text
		switch c.kind {
		case kindPhrase:
			s = `"` + s + `"`
		case kindPrefix:
			s += "*"
		}
		if c.neg {
			s = "-" + s
		}
		parts = append(parts, s)
	}
	for _, d := range pq.dates {
		parts = append(parts, d.op+":"+d.value)
	}
	return strings.Join(parts, " | ")
}

func TestParseQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"border police", "border | police"},
		{`  "border police"  station `, `"border police" | station`},
		{`“fighting fortress” urumqi`, `"fighting fortress" | urumqi`},
		{`-urumqi fortress`, `-urumqi | fortress`},
		{`-"party history" mohe`, `-"party history" | mohe`},
		{`consort* educat**`, `consort* | educat*`},
		{`*leading`, `leading`},
		{`wo*rd`, `wo rd`},
		{`border from:2023 to:2023-08 date:last-week`, `border | from:2023 | to:2023-08 | date:last-week`},
		{`FROM:2023-07 border`, `border | from:2023-07`},
		{`border date:"2023-01 .. 2023-03"`, `border | date:2023-01 .. 2023-03`},
		{`border to:`, `border | to`},
		// Syntax of other engines is dropped or separates words.
		{`title:urumqi^2 body:fortress~1`, `urumqi | fortress`},
		{`+border (police OR army)`, `border | police | OR | army`},
		{`ratio 10:30`, `ratio | 10 | 30`},
		{`a\b`, `a | b`},
		// Unbalanced quotes run to the end.
		{`"fighting fortress`, `"fighting fortress"`},
		{`"bone carv*" x`, `bone carv* | x`},
		{`mohe "`, `mohe`},
		{`""`, ``},
		// Control characters and invalid UTF-8 are spaces.
		{"border\x00police\tstation\nmohe", "border | police | station | mohe"},
		{"bor\xffder", "bor | der"},
		// A lone minus or plus is nothing.
		{"- + border", "border"},
		// Repeats count once.
		{"border border Border", "border | Border"},
		{"state-of-the-art", "state-of-the-art"},
		{"4.936 2022", "4.936 | 2022"},
	}
	for _, tt := range tests {
		pq, err := parseQuery(tt.in)
		if err != nil {
			t.Errorf("parseQuery(%q): %v", tt.in, err)
			continue
		}
		if got := show(pq); got != tt.want {
			t.Errorf("parseQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	a, err := getAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 9, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"", "empty query"},
		{"   \t\n ", "empty query"},
		{`"" - * ^`, "empty query"},
		{"the", `"the" is too common to search for; add a more specific word`},
		{"the of and", `"the", "of", "and" are all too common to search for`},
		{"-border", "every word is excluded"},
		{"-border the", "every word is excluded"},
		{"from:2023", "a date filter alone is not a search"},
		{"border from:yesterdayish", `from: date "yesterdayish" not understood`},
		{"border date:2023-02-30", "has no day 30"},
		{"border from:2023-08 to:2023-07", "the date filters leave no days"},
		{"a*", `"a*" is too short`},
		{strings.Repeat("word ", 1000), "too long"},
		{manyWords(40), "too many words: 40; use at most 32"},
	}
	for _, tt := range tests {
		pq, err := parseQuery(tt.in)
		if err == nil {
			_, err = makePlan(tt.in, pq, nil, a, now)
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%q: error %v, want a QueryError containing %q", tt.in, err, tt.want)
			continue
		}
		if !strings.Contains(qe.Msg, tt.want) {
			t.Errorf("%q: %q, want it to contain %q", tt.in, qe.Msg, tt.want)
		}
	}
}

func manyWords(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()
}

func TestPlan(t *testing.T) {
	a, err := getAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 9, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"Patrols border", "[[patrol]] [[border]]"},
		{`"the border police"`, "[[border] [polic]]"},
		{`"party of the people"`, "[[parti] [] [] [peopl]]"},
		{"state-of-the-art", "[[state] [] [] [art]]"},
		{"无人机", "[[无人] [人机]]"},
		{"ＵＲＵＭＱＩ", "[[urumqi]]"},
		{"Mohe’s", "[[mohe]]"},
		{"educat*", "educat*+[educ educa]"},
		{"party*", "party*+[parti]"},
		{"carvi*", "carvi*+[carv]"},
		{`"bone carvi*"`, "[[bone]]carvi*+[carv]"},
		{"the border -police", "[[border]] -[[polic]]"},
	}
	for _, tt := range tests {
		pq, err := parseQuery(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		p, err := makePlan(tt.in, pq, nil, a, now)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		var parts []string
		for _, u := range p.must {
			parts = append(parts, showUnit(u))
		}
		for _, u := range p.not {
			parts = append(parts, "-"+showUnit(u))
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("plan(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func showUnit(u unit) string {
	if u.prefix != "" {
		lead := ""
		if len(u.phrase) > 0 {
			lead = fmt.Sprint(u.phrase)
		}
		return fmt.Sprintf("%s%s*+%v", lead, u.prefix, u.stems)
	}
	return fmt.Sprint(u.phrase)
}

func TestPlanDates(t *testing.T) {
	a, _ := getAnalyzers()
	now := time.Date(2023, 9, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in         string
		extra      []dateOp
		from, to   string
		unfiltered bool
	}{
		{in: "border", unfiltered: true},
		{in: "border date:2023-07", from: "2023-07-01", to: "2023-07-31"},
		{in: "border from:2023-07", from: "2023-07-01", to: "9999-12-31"},
		{in: "border to:2023", from: "0001-01-01", to: "2023-12-31"},
		{in: "border date:last-month", from: "2023-08-01", to: "2023-08-31"},
		{in: "border from:2022 to:2023-02", from: "2022-01-01", to: "2023-02-28"},
		{in: "border from:2022-01..2022-06", from: "2022-01-01", to: "9999-12-31"},
		{in: "border", extra: []dateOp{{"from", "2021"}, {"to", "2022"}}, from: "2021-01-01", to: "2022-12-31"},
		// Filters narrow each other.
		{in: "border date:2023 from:2023-03", extra: []dateOp{{"to", "2023-06"}}, from: "2023-03-01", to: "2023-06-30"},
	}
	for _, tt := range tests {
		pq, _ := parseQuery(tt.in)
		p, err := makePlan(tt.in, pq, tt.extra, a, now)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if tt.unfiltered {
			if p.dates != nil {
				t.Errorf("%q: filtered by %v", tt.in, p.dates)
			}
			continue
		}
		if p.dates == nil {
			t.Errorf("%q: no date filter", tt.in)
			continue
		}
		if got, want := p.dates.From.Format(time.DateOnly)+".."+p.dates.To.Format(time.DateOnly), tt.from+".."+tt.to; got != want {
			t.Errorf("%q: dates %s, want %s", tt.in, got, want)
		}
	}
}

// FuzzParseQuery: any input parses and plans without a panic, and either
// gives a QueryError or a plan with something to search for, made of clean
// terms.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"border police", `"fighting fortress" -urumqi`, "educat* from:2023 to:2023-08",
		"title:x^2 (a OR b) ~1 +c", "无人机 巡逻", `"unbalanced`, "-", "*", "date:\"2023-01..\"",
		"\x00\xff\ufeff", strings.Repeat("a ", 40), "the of", "ＡＢＣ Straße", "10:30 4.936",
	} {
		f.Add(s)
	}
	a, err := getAnalyzers()
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2023, 9, 15, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		pq, err := parseQuery(q)
		if err == nil {
			for _, c := range pq.clauses {
				if strings.TrimSpace(c.text) == "" || !utf8.ValidString(c.text) {
					t.Fatalf("clause %q from %q", c.text, q)
				}
				if strings.IndexFunc(c.text, unicode.IsControl) >= 0 {
					t.Fatalf("control character in clause %q", c.text)
				}
			}
			var p plan
			p, err = makePlan(q, pq, nil, a, now)
			if err == nil {
				if len(p.must) == 0 {
					t.Fatalf("plan of %q has nothing to search for", q)
				}
				for _, u := range append(p.must, p.not...) {
					if u.prefix == "" && len(u.phrase) == 0 {
						t.Fatalf("empty unit %+v from %q", u, q)
					}
					if u.prefix != "" && utf8.RuneCountInString(u.prefix) < minPrefixLen {
						t.Fatalf("prefix %q too short", u.prefix)
					}
					if len(u.phrase) > 0 && (len(u.phrase[0]) == 0 || len(u.phrase[len(u.phrase)-1]) == 0) {
						t.Fatalf("phrase %v begins or ends with a gap", u.phrase)
					}
				}
				if p.dates != nil && p.dates.From.After(p.dates.To) {
					t.Fatalf("empty date range %v", p.dates)
				}
			}
		}
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Msg == "" {
				t.Fatalf("%q: error %v is not a QueryError", q, err)
			}
		}
	})
}

// TestQueryErrorIsInvalid: a query the user got wrong carries the code
// apperr.Invalid and its message, for callers that do not know QueryError.
func TestQueryErrorIsInvalid(t *testing.T) {
	err := fmt.Errorf("search: %w", queryErrorf("x*", "%q is too short", "x*"))
	if !apperr.Is(err, apperr.Invalid) || apperr.MessageOf(err) != `"x*" is too short` {
		t.Errorf("code %q, message %q", apperr.CodeOf(err), apperr.MessageOf(err))
	}
}
