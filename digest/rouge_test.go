package digest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/digestbot/digestbot/internal/testenv"
)

// ROUGE (Lin, 2004) against the hand-written reference summaries in
// testdata/references: ROUGE-1 and ROUGE-2 (clipped n-gram overlap) and
// ROUGE-L (longest common subsequence), F1 over lower-cased word tokens,
// no stemming, stop words kept. Run with -v to see the table:
//
//	go test ./digest -run TestROUGE -v

// rougeTokens lower-cases text and splits it into words.
func rougeTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

type prf struct{ P, R, F float64 }

func makePRF(match, candN, refN int) prf {
	var p prf
	if candN > 0 {
		p.P = float64(match) / float64(candN)
	}
	if refN > 0 {
		p.R = float64(match) / float64(refN)
	}
	if p.P+p.R > 0 {
		p.F = 2 * p.P * p.R / (p.P + p.R)
	}
	return p
}

func rougeN(cand, ref []string, n int) prf {
	grams := func(toks []string) map[string]int {
		m := map[string]int{}
		for i := 0; i+n <= len(toks); i++ {
			m[strings.Join(toks[i:i+n], " ")]++
		}
		return m
	}
	c, r := grams(cand), grams(ref)
	match, cn, rn := 0, 0, 0
	for g, k := range c {
		match += min(k, r[g])
		cn += k
	}
	for _, k := range r {
		rn += k
	}
	return makePRF(match, cn, rn)
}

func rougeL(cand, ref []string) prf {
	prev := make([]int, len(ref)+1)
	cur := make([]int, len(ref)+1)
	for i := range cand {
		for j := range ref {
			if cand[i] == ref[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return makePRF(prev[len(ref)], len(cand), len(ref))
}

func TestROUGEScorer(t *testing.T) {
	ref := rougeTokens("the cat sat on the mat")
	cases := []struct {
		cand       string
		r1, r2, rl float64 // F1
	}{
		{"the cat sat on the mat", 1, 1, 1},
		{"dogs bark loudly", 0, 0, 0},
		{"the cat on the mat", 2 * 1 * (5.0 / 6) / (1 + 5.0/6), 2 * (3.0 / 4) * (3.0 / 5) / (3.0/4 + 3.0/5), 2 * 1 * (5.0 / 6) / (1 + 5.0/6)},
	}
	for _, c := range cases {
		cand := rougeTokens(c.cand)
		got := [3]float64{rougeN(cand, ref, 1).F, rougeN(cand, ref, 2).F, rougeL(cand, ref).F}
		want := [3]float64{c.r1, c.r2, c.rl}
		for i := range got {
			if d := got[i] - want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("%q: ROUGE %d = %.4f, want %.4f", c.cand, i, got[i], want[i])
			}
		}
	}
}

// TestROUGE scores LexRank and the Lead-3 baseline on the sample corpus
// and requires LexRank to beat Lead-3 on the mean of ROUGE-1, -2 and -L F1.
func TestROUGE(t *testing.T) {
	arts := testenv.SampleArticles(t)
	stats := statsOf(arts)
	s := testSummarizer(t)
	methods := []Method{LexRank, Lead3}
	type score struct{ r1, r2, rl prf }
	mean := map[Method]*score{LexRank: {}, Lead3: {}}
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %-8s %6s %6s %6s\n", "article", "method", "R-1 F", "R-2 F", "R-L F")
	for _, a := range arts {
		data, err := os.ReadFile(filepath.Join("testdata", "references", strings.TrimSuffix(a.Source, ".txt")+".txt"))
		if err != nil {
			t.Fatalf("reference summary for %s: %v", a.Source, err)
		}
		ref := rougeTokens(string(data))
		for _, m := range methods {
			cand := rougeTokens(s.Summarize(a, stats, Options{Method: m}).Text())
			sc := score{rougeN(cand, ref, 1), rougeN(cand, ref, 2), rougeL(cand, ref)}
			fmt.Fprintf(&table, "%-26s %-8s %6.3f %6.3f %6.3f\n", a.Source, m, sc.r1.F, sc.r2.F, sc.rl.F)
			acc := mean[m]
			acc.r1.F += sc.r1.F / float64(len(arts))
			acc.r2.F += sc.r2.F / float64(len(arts))
			acc.rl.F += sc.rl.F / float64(len(arts))
			acc.r1.R += sc.r1.R / float64(len(arts))
			acc.r2.R += sc.r2.R / float64(len(arts))
			acc.rl.R += sc.rl.R / float64(len(arts))
		}
	}
	for _, m := range methods {
		sc := mean[m]
		fmt.Fprintf(&table, "%-26s %-8s %6.3f %6.3f %6.3f   (recall %.3f %.3f %.3f)\n", "mean", m, sc.r1.F, sc.r2.F, sc.rl.F, sc.r1.R, sc.r2.R, sc.rl.R)
	}
	t.Logf("ROUGE F1 against testdata/references:\n%s", table.String())
	lex, lead := mean[LexRank], mean[Lead3]
	if lex.r1.F+lex.r2.F+lex.rl.F <= lead.r1.F+lead.r2.F+lead.rl.F {
		t.Errorf("LexRank (R-1 %.3f, R-2 %.3f, R-L %.3f) does not beat Lead-3 (%.3f, %.3f, %.3f)",
			lex.r1.F, lex.r2.F, lex.rl.F, lead.r1.F, lead.r2.F, lead.rl.F)
	}
}
