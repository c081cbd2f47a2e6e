// Package synth generates synthetic news articles for benchmarks: a Zipf
// vocabulary, 300–1,200 words each, reproducible from a seed.
package synth

import (
	"fmt"
	"math/rand"
	"strings"
)

// Generator makes articles. Use New; the same seed gives the same articles.
type Generator struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

// New returns a generator with a vocabulary of vocab words whose
// frequencies follow Zipf's law (s = 1.07, close to English text).
func New(seed int64, vocab int) *Generator {
	rng := rand.New(rand.NewSource(seed))
	g := &Generator{rng: rng, zipf: rand.NewZipf(rng, 1.07, 2, uint64(vocab-1))}
	syll := []string{"ka", "lo", "mi", "ne", "tu", "ra", "shi", "po", "ve", "da", "gri", "mon", "tes", "bal", "qu", "zen", "fo", "har", "lin", "sar"}
	seen := map[string]bool{}
	for len(g.vocab) < vocab {
		n := 1 + rng.Intn(4)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(syll[rng.Intn(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	return g
}

// Word returns a random word, frequent ones more often.
func (g *Generator) Word() string { return g.vocab[g.zipf.Uint64()] }

// Vocab returns the vocabulary, most frequent word first.
func (g *Generator) Vocab() []string { return g.vocab }

// Article returns the text of article number i: a " date YYYY-MM-DD title"
// header line and paragraphs of sentences, 300–1,200 words in all.
func (g *Generator) Article(i int) string {
	var b strings.Builder
	y, m, d := 2015+g.rng.Intn(10), 1+g.rng.Intn(12), 1+g.rng.Intn(28)
	fmt.Fprintf(&b, " date %04d-%02d-%02d", y, m, d)
	for w := 0; w < 5+g.rng.Intn(6); w++ {
		b.WriteByte(' ')
		b.WriteString(g.Word())
	}
	fmt.Fprintf(&b, " number %d\n\n", i)
	target := 300 + g.rng.Intn(901)
	words := 0
	for words < target {
		for s := 0; s < 3+g.rng.Intn(4) && words < target; s++ {
			n := min(8+g.rng.Intn(18), target-words)
			for w := 0; w < n; w++ {
				word := g.Word()
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			b.WriteString(". ")
			words += n
		}
		b.WriteString("\n\n")
	}
	return b.String()
}
