package digest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv"
)

func parseFile(t *testing.T, path string) corpus.Article {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := corpus.Parse(filepath.Base(path), data)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestNearDuplicatePairs measures the lead similarity of hand-written pairs
// in testdata/dups: "same" pairs are one story in two wordings, "diff"
// pairs two stories on one topic (same place, people or subject, a day
// apart). Every same pair must reach dupThreshold and no diff pair may.
func TestNearDuplicatePairs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "dups", "*-a.txt"))
	if err != nil || len(files) < 10 {
		t.Fatalf("pairs: %v %v", files, err)
	}
	arts := testenv.SampleArticles(t)
	type pair struct {
		name string
		a, b corpus.Article
	}
	var pairs []pair
	for _, f := range files {
		p := pair{name: strings.TrimSuffix(filepath.Base(f), "-a.txt"), a: parseFile(t, f), b: parseFile(t, strings.Replace(f, "-a.txt", "-b.txt", 1))}
		pairs = append(pairs, p)
		arts = append(arts, p.a, p.b)
	}
	stats := statsOf(arts)
	stop := stopSet(testAnalyze)
	var report strings.Builder
	lowSame, highDiff := 1.0, 0.0
	for _, p := range pairs {
		sim := leadSimilarity(leadTerms(testAnalyze, stop, p.a), leadTerms(testAnalyze, stop, p.b), stats)
		fmt.Fprintf(&report, "%-6s %.3f\n", p.name, sim)
		same := strings.HasPrefix(p.name, "same")
		if same {
			lowSame = min(lowSame, sim)
		} else {
			highDiff = max(highDiff, sim)
		}
		if same != (sim >= dupThreshold) {
			t.Errorf("%s: similarity %.3f, threshold %.2f", p.name, sim, dupThreshold)
		}
	}
	t.Logf("lead similarity (threshold %.2f; same-story pairs ≥ %.3f, different-story pairs ≤ %.3f):\n%s", dupThreshold, lowSame, highDiff, report.String())
}
