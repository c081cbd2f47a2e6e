package synth

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// WriteFiles writes n articles from g as files under dir, 1,000 to a
// folder (dir/000/a000000.txt, …), and returns their paths in order. The
// same generator seed gives the same files.
func (g *Generator) WriteFiles(dir string, n int) ([]string, error) {
	paths := make([]string, 0, n)
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return nil, fmt.Errorf("synthetic corpus: %w", err)
			}
		}
		p := filepath.Join(sub, fmt.Sprintf("a%06d.txt", i))
		if err := os.WriteFile(p, []byte(g.Article(i)), 0o644); err != nil {
			return nil, fmt.Errorf("synthetic corpus: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Queries returns n queries of 1 to 3 distinct words drawn uniformly from
// the vocabulary ranks [lo, hi): mid-frequency words, neither so common
// that every article has them nor so rare that none does. The same seed
// gives the same queries.
func (g *Generator) Queries(seed int64, n, lo, hi int) []string {
	rng := rand.New(rand.NewSource(seed))
	hi = min(hi, len(g.vocab))
	out := make([]string, n)
	for i := range out {
		k := 1 + rng.Intn(3)
		var words []string
		for len(words) < k {
			w := g.vocab[lo+rng.Intn(hi-lo)]
			if !contains(words, w) {
				words = append(words, w)
			}
		}
		out[i] = strings.Join(words, " ")
	}
	return out
}

func contains(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
