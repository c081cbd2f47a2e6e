package search

import (
	"slices"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// fastAnalyzer gives exactly the tokens of one of the mapping's analysis
// chains (Unicode tokenizer, NFKC, lower case, English possessives, CJK
// bigrams, then any further filters), faster: its tokenizer has an ASCII
// fast path, and the first three filters, which change one token at a
// time, are done in one pass that leaves ASCII terms, which NFKC does not
// change, to a few byte operations. Other terms go through bleve's filters.
// The bigram filter only runs when there is CJK text.
type fastAnalyzer struct {
	tok                     fastTokenizer
	nfkc, lower, possessive analysis.TokenFilter
	bigram                  analysis.TokenFilter
	// rest are the filters after the bigram filter, in order.
	rest []analysis.TokenFilter
}

// newFastAnalyzer returns the fast equivalent of a, or a itself when a is
// not a chain it knows how to reproduce.
func newFastAnalyzer(a analysis.Analyzer) analysis.Analyzer {
	d, ok := a.(*analysis.DefaultAnalyzer)
	if !ok || len(d.CharFilters) > 0 || len(d.TokenFilters) < 4 {
		return a
	}
	if _, ok := d.Tokenizer.(*unicodetok.UnicodeTokenizer); !ok {
		return a
	}
	f := d.TokenFilters
	_, isNorm := f[0].(*unicodenorm.UnicodeNormalizeFilter)
	_, isLower := f[1].(*lowercase.LowerCaseFilter)
	_, isPossessive := f[2].(*en.PossessiveFilter)
	_, isBigram := f[3].(*cjk.CJKBigramFilter)
	// The NFKC form cannot be read from the filter: check it does to a
	// compatibility character what NFKC does.
	if !isNorm || !isLower || !isPossessive || !isBigram || !normalizesNFKC(f[0]) {
		return a
	}
	return &fastAnalyzer{
		tok:  fastTokenizer{slow: d.Tokenizer},
		nfkc: f[0], lower: f[1], possessive: f[2], bigram: f[3],
		rest: slices.Clone(f[4:]),
	}
}

// normalizesNFKC reports whether f normalises to NFKC (or NFKD): it turns
// the ligature "ﬁ" into "fi". NFC and NFD leave it as it is.
func normalizesNFKC(f analysis.TokenFilter) bool {
	ts := f.Filter(analysis.TokenStream{{Term: []byte("\ufb01")}})
	return len(ts) == 1 && string(ts[0].Term) == "fi"
}

// Analyze implements analysis.Analyzer.
func (a *fastAnalyzer) Analyze(input []byte) analysis.TokenStream {
	tokens := a.tok.Tokenize(input)
	cjkText := false
	var one analysis.TokenStream
	for _, t := range tokens {
		if t.Type == analysis.Ideographic {
			cjkText = true
		}
		if isASCII(t.Term) {
			t.Term = asciiPossessive(lowerASCIIInPlace(t.Term))
			continue
		}
		if one == nil {
			one = make(analysis.TokenStream, 1)
		}
		one[0] = t
		a.possessive.Filter(a.lower.Filter(a.nfkc.Filter(one)))
	}
	if cjkText {
		// Without CJK text the bigram filter changes nothing: the
		// positions it renumbers are 1, 2, 3… already.
		tokens = a.bigram.Filter(tokens)
	}
	for _, f := range a.rest {
		tokens = f.Filter(tokens)
	}
	return tokens
}

// withStemCache returns a copy of a with its stemmer, if any, remembering
// the stems it has computed in a table of at most slots slots; and which
// terms are stop words, when the stop word filter comes just before.
func (a *fastAnalyzer) withStemCache(slots int) *fastAnalyzer {
	c := *a
	c.rest = nil
	for _, f := range a.rest {
		if _, ok := f.(*en.EnglishStemmerFilter); !ok {
			c.rest = append(c.rest, f)
			continue
		}
		cache := newStemCacheSized(f, slots)
		if n := len(c.rest); n > 0 {
			if sf, ok := c.rest[n-1].(*stop.StopTokensFilter); ok {
				cache.stop = sf
				c.rest = c.rest[:n-1]
			}
		}
		c.rest = append(c.rest, cache)
	}
	return &c
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lowerASCIIInPlace lower-cases the ASCII term b in place, as the lower-case
// filter does.
func lowerASCIIInPlace(b []byte) []byte {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// asciiPossessive drops an English possessive "'s" from the end of the
// lower-case ASCII term b, as the possessive filter does.
func asciiPossessive(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-1] == 's' && b[n-2] == '\'' {
		return b[:n-2]
	}
	return b
}
