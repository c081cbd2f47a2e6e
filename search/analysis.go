package search

import (
	"fmt"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Names of the analysis components defined in the index mapping.
const (
	// analyzerName is the analyzer of the title and body fields: Unicode
	// word segmentation (UAX #29), NFKC normalisation, lower case, English
	// possessives dropped, CJK bigrams, stop words removed, Snowball
	// English stemming. Numbers (2022, 4.936) are kept as they are.
	analyzerName = "digestbot"
	// surfaceAnalyzerName is the same chain without stop words and
	// stemming: the lower-cased surface form of words, used for prefix*
	// queries and snippet matching.
	surfaceAnalyzerName = "digestbot_surface"

	nfkcFilter   = "digestbot_nfkc"
	stopMap      = "digestbot_stop_words"
	stopFilter   = "digestbot_stop"
	stemmerName  = en.SnowballStemmerName
	bigramFilter = cjk.BigramName
)

// stopWords are dropped from the index and from queries: Lucene's classic
// English list. They are so common that they say nothing about which
// article is meant, and leaving them out keeps the index small. Phrases
// still match across them: positions keep their gaps.
var stopWords = []any{
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in",
	"into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the",
	"their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
}

// addAnalysis defines the analyzers in im.
func addAnalysis(im *mapping.IndexMappingImpl) error {
	steps := []error{
		im.AddCustomTokenFilter(nfkcFilter, map[string]any{
			"type": unicodenorm.Name, "form": unicodenorm.NFKC,
		}),
		im.AddCustomTokenMap(stopMap, map[string]any{
			"type": tokenmap.Name, "tokens": stopWords,
		}),
		im.AddCustomTokenFilter(stopFilter, map[string]any{
			"type": stop.Name, "stop_token_map": stopMap,
		}),
		// The bigram filter renumbers positions, so it runs before the stop
		// filter, which leaves gaps where it removes a word.
		im.AddCustomAnalyzer(analyzerName, map[string]any{
			"type":      custom.Name,
			"tokenizer": unicodetok.Name,
			"token_filters": []any{
				nfkcFilter, lowercase.Name, en.PossessiveName, bigramFilter, stopFilter, stemmerName,
			},
		}),
		im.AddCustomAnalyzer(surfaceAnalyzerName, map[string]any{
			"type":      custom.Name,
			"tokenizer": unicodetok.Name,
			"token_filters": []any{
				nfkcFilter, lowercase.Name, en.PossessiveName, bigramFilter,
			},
		}),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}

// analysisToken is one token of an analysed text.
type analysisToken = analysis.Token

// analyzers holds the two analyzers, built once from the mapping. They are
// immutable and safe for concurrent use.
type analyzers struct {
	full, surface analysis.Analyzer
}

var sharedAnalyzers = sync.OnceValues(func() (analyzers, error) {
	im, err := newMapping()
	if err != nil {
		return analyzers{}, err
	}
	return analyzersOf(im)
})

// analyzersOf returns the analyzers im defines, in their fast form (see
// fastAnalyzer): the same tokens as bleve's chains.
func analyzersOf(im *mapping.IndexMappingImpl) (analyzers, error) {
	a, err := chainAnalyzersOf(im)
	if err != nil {
		return analyzers{}, err
	}
	return analyzers{full: newFastAnalyzer(a.full), surface: newFastAnalyzer(a.surface)}, nil
}

// chainAnalyzersOf returns bleve's analysis chains that im defines.
func chainAnalyzersOf(im *mapping.IndexMappingImpl) (analyzers, error) {
	a := analyzers{full: im.AnalyzerNamed(analyzerName), surface: im.AnalyzerNamed(surfaceAnalyzerName)}
	if a.full == nil || a.surface == nil {
		return analyzers{}, fmt.Errorf("search: analyzers %q and %q not defined by the mapping", analyzerName, surfaceAnalyzerName)
	}
	return a, nil
}

// getAnalyzers returns the shared analyzers. The mapping is a constant of
// this package, so an error is a programming mistake that every test
// catches; it still comes back as an error rather than a panic.
func getAnalyzers() (analyzers, error) { return sharedAnalyzers() }

// Terms returns the indexed terms of text, in order: what the search index
// stores for it (lower-cased, normalised, stemmed, stop words removed, CJK
// text as overlapping pairs of characters). Two texts share a term exactly
// when search would match one with the other, so summaries can use it to
// compare sentences with the same notion of a word as search.
func Terms(text string) []string {
	a, err := getAnalyzers()
	if err != nil {
		return nil
	}
	tokens := a.full.Analyze([]byte(text))
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = string(t.Term)
	}
	return out
}

// approxTokens estimates how many tokens the analyzer makes of s, without
// running it: runs of letters and digits that are not stop words, and one
// per CJK character (the bigrams overlap). It feeds the average field
// lengths of BM25, where a close estimate is as good as the exact count.
func approxTokens(s string) int {
	n := 0
	start := -1
	flush := func(end int) {
		if start >= 0 && !isStopWord(s[start:end]) {
			n++
		}
		start = -1
	}
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '\''):
			if start < 0 {
				start = i
			}
		case r >= utf8.RuneSelf && isCJK(r):
			flush(i)
			n++
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(s))
	return n
}

// isStopWord reports whether w, in any case, is one of stopWords.
func isStopWord(w string) bool {
	if len(w) > 5 {
		return false
	}
	var buf [5]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := stopSet[string(buf[:len(w)])]
	return ok
}

var stopSet = func() map[string]struct{} {
	m := make(map[string]struct{}, len(stopWords))
	for _, w := range stopWords {
		m[w.(string)] = struct{}{}
	}
	return m
}()

// isCJK reports whether r is written without spaces between words: Han,
// Hiragana, Katakana or Hangul.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// withStemCache returns a copy of a whose full analyzer remembers the stems
// it has computed. Stemming is the costliest step of analysis, and news
// text repeats its words: with the cache, indexing is much cheaper. The
// output is the same.
func (a analyzers) withStemCache() analyzers {
	if f, ok := a.full.(*fastAnalyzer); ok {
		a.full = f.withStemCache()
		return a
	}
	d, ok := a.full.(*analysis.DefaultAnalyzer)
	if !ok {
		return a
	}
	c := *d
	c.TokenFilters = slices.Clone(d.TokenFilters)
	for i, f := range c.TokenFilters {
		if _, ok := f.(*en.EnglishStemmerFilter); ok {
			c.TokenFilters[i] = newStemCache(f)
		}
	}
	a.full = &c
	return a
}
