package search

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// planFor analyses q as Search does.
func planFor(t testing.TB, q string) (plan, analyzers) {
	t.Helper()
	a, err := getAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	pq, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(q, pq, nil, a, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p, a
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 20)
	tests := []struct {
		name, body, q, want string
	}{
		{"short body whole", "The border police patrol the river.", "border police",
			"The [border] [police] patrol the river."},
		{"match in the middle of a long body", long + "The border police patrol the river. " + long, "border police",
			"…The [border] [police] patrol the river. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur…"},
		{"stems and case", "Patrols went out. " + long, "PATROL",
			"[Patrols] went out. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem…"},
		{"the passage with most words", "Border here. " + long + "Border and police together. " + long, "border police",
			"…[Border] and [police] together. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit.…"},
		{"no match: the beginning", long, "border",
			"Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet…"},
		{"prefix", "The consortiums and the consortium met.", "consort*",
			"The [consortiums] and the [consortium] met."},
		{"root alone is not a match", "Patriotic patrols.", "patrols",
			"Patriotic [patrols]."},
		{"paragraphs become spaces", "First paragraph.\n\nSecond about the border.", "border",
			"First paragraph. Second about the [border]."},
		{"CJK", "漠河市边境管理大队近日开始使用无人机开展日常巡逻。", "无人机",
			"漠河市边境管理大队近日开始使用[无人机]开展日常巡逻。"},
		{"CJK cut between characters", strings.Repeat("森林火情", 60) + "无人机" + strings.Repeat("界江", 60), "无人机",
			"…林火情" + strings.Repeat("森林火情", 18) + "[无人机]" + strings.Repeat("界江", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, a := planFor(t, tt.q)
			s := makeSnippet(tt.body, newMatcher(p), a, snippetRunes)
			if got := s.Marked("[", "]"); got != tt.want {
				t.Errorf("snippet of %q\n got: %s\nwant: %s", tt.q, got, tt.want)
			}
			checkSnippet(t, tt.body, s)
		})
	}
}

// checkSnippet checks what every snippet must be: at most snippetRunes
// runes, valid UTF-8, marks on rune boundaries in order, and every word of
// it a whole word of the body (no word cut in two), unless the body is one
// long word.
func checkSnippet(t *testing.T, body string, s Snippet) {
	t.Helper()
	if n := utf8.RuneCountInString(s.Text); n > snippetRunes {
		t.Errorf("snippet of %d runes: %q", n, s.Text)
	}
	if !utf8.ValidString(s.Text) {
		t.Errorf("snippet not UTF-8: %q", s.Text)
	}
	at := 0
	for _, m := range s.Marks {
		if m.Start < at || m.End <= m.Start || m.End > len(s.Text) || !utf8.RuneStart(s.Text[m.Start]) ||
			(m.End < len(s.Text) && !utf8.RuneStart(s.Text[m.End])) {
			t.Fatalf("bad mark %v in %q (marks %v)", m, s.Text, s.Marks)
		}
		at = m.End
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(s.Text, "…"), "…")
	flat := strings.Join(strings.Fields(body), " ")
	if !strings.Contains(flat, inner) {
		t.Errorf("snippet %q is not a passage of the body", inner)
		return
	}
	if strings.HasPrefix(s.Text, "…") {
		i := strings.Index(flat, inner)
		if r, _ := utf8.DecodeLastRuneInString(flat[:i]); isWordRune(r) && !isCJK(r) {
			t.Errorf("snippet starts inside a word: …%q", inner[:min(20, len(inner))])
		}
	}
	if strings.HasSuffix(s.Text, "…") {
		i := strings.Index(flat, inner) + len(inner)
		last, _ := utf8.DecodeLastRuneInString(inner)
		if r, _ := utf8.DecodeRuneInString(flat[i:]); isWordRune(r) && isWordRune(last) && !isCJK(r) && strings.ContainsAny(inner, " ") {
			t.Errorf("snippet ends inside a word: %q…", inner[max(0, len(inner)-20):])
		}
	}
}

// TestSnippetsGolden records the snippets of the sample corpus for a few
// queries in testdata/snippets.golden (go test -update rewrites it).
func TestSnippetsGolden(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	var b strings.Builder
	for _, q := range []string{"border police", "carvings", `"party history"`, "educat*", "4.936", "无人机", "fortress -urumqi", "Liaoshen campaign"} {
		res, err := ix.Search(context.Background(), q, Request{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s (%d)\n", q, res.Total)
		for _, h := range res.Hits {
			fmt.Fprintf(&b, "%s\n  %s\n", h.Source, h.Snippet.Marked("**", "**"))
		}
	}
	golden := filepath.Join("testdata", "snippets.golden")
	if *update {
		must(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("snippets differ from %s (go test -update rewrites it):\n%s", golden, b.String())
	}
}

// FuzzSnippet: any body and query give a well-formed snippet.
func FuzzSnippet(f *testing.F) {
	f.Add("The border police patrol the river.", "border police")
	f.Add(strings.Repeat("森林火情", 80)+"无人机", "无人机")
	f.Add(strings.Repeat("x", 500), "xx*")
	f.Add("a\n\nb  c \u00a0d", "b")
	a, err := getAnalyzers()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, q string) {
		if !utf8.ValidString(body) {
			return // bodies are clean UTF-8 (corpus.Parse)
		}
		pq, err := parseQuery(q)
		if err != nil {
			return
		}
		p, err := makePlan(q, pq, nil, a, time.Now())
		if err != nil {
			return
		}
		s := makeSnippet(body, newMatcher(p), a, snippetRunes)
		if n := utf8.RuneCountInString(s.Text); n > snippetRunes {
			t.Fatalf("snippet of %d runes", n)
		}
		at := 0
		for _, m := range s.Marks {
			if m.Start < at || m.End <= m.Start || m.End > len(s.Text) {
				t.Fatalf("bad mark %v in %q", m, s.Text)
			}
			at = m.End
		}
		_ = s.Marked("[", "]")
	})
}
