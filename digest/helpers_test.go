package digest

import (
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/digestbot/digestbot/corpus"
)

// testAnalyze is a small real analyzer for this package's tests: case
// folding, splitting at anything but letters and digits, each CJK
// character a term, and a crude English suffix stemmer. digestbot itself
// uses search.Terms.
func testAnalyze(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, stem(b.String()))
			b.Reset()
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case isCJK(r):
			flush()
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// mapStats is TermStats over a fixed set of documents.
type mapStats struct {
	n  int
	df map[string]int
}

func (m mapStats) Docs() int               { return m.n }
func (m mapStats) DocFreq(term string) int { return m.df[term] }

func statsOf(arts []corpus.Article) mapStats {
	m := mapStats{n: len(arts), df: map[string]int{}}
	for _, a := range arts {
		for t := range termSet(testAnalyze, nil, a.Title+"\n\n"+a.Body) {
			m.df[t]++
		}
	}
	return m
}

var sharedSplitter = sync.OnceValues(NewSplitter)

func testSplitter(t testing.TB) *Splitter {
	t.Helper()
	sp, err := sharedSplitter()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func testSummarizer(t testing.TB) *Summarizer {
	return NewSummarizer(testAnalyze, testSplitter(t))
}
