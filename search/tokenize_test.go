package search

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"

	"github.com/digestbot/digestbot/internal/synth"
)

// chainAnalysis runs text through bleve's chains and through the fast
// analyzers and tokenizer; each on its own copy of text, since the
// analysers lower-case terms in place.
type chainAnalysis struct {
	chain, fast analyzers
	// cached is fast with a stem cache, shared by all the texts compared.
	cached analyzers
}

func newChainAnalysis(t testing.TB) chainAnalysis {
	t.Helper()
	im, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	chain, err := chainAnalyzersOf(im)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := analyzersOf(im)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fast.full.(*fastAnalyzer); !ok {
		t.Fatalf("the full analyzer is %T, not the fast one", fast.full)
	}
	if _, ok := fast.surface.(*fastAnalyzer); !ok {
		t.Fatalf("the surface analyzer is %T, not the fast one", fast.surface)
	}
	cached := fast.withStemCache()
	rest := cached.full.(*fastAnalyzer).rest
	if sc, ok := rest[len(rest)-1].(*stemCache); len(rest) != 1 || !ok || sc.stop == nil {
		t.Fatalf("the cached analyzer's last filters are %v, not one stem cache with the stop words", rest)
	}
	return chainAnalysis{chain: chain, fast: fast, cached: cached}
}

// dump renders tokens with everything the index takes from them.
func dump(ts analysis.TokenStream) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = fmt.Sprintf("%q@%d[%d:%d]type%d kw%v", t.Term, t.Position, t.Start, t.End, t.Type, t.KeyWord)
	}
	return out
}

// dumpAnalysis is the dump of a's analysis of text. bleve's CJK bigram
// filter panics on some text that is not valid UTF-8 (which the corpus
// and the query parser never hand over); the fast analyzer passes such
// text to it too, and either panic shows as one line.
func dumpAnalysis(a analysis.Analyzer, text string) (out []string) {
	defer func() {
		if r := recover(); r != nil {
			out = []string{"panic"}
		}
	}()
	return dump(a.Analyze([]byte(text)))
}

// diff returns a description of how the fast analysis of text differs from
// bleve's, or "".
func (c chainAnalysis) diff(text string) string {
	d := c.chain.full.(*analysis.DefaultAnalyzer)
	tok := c.fast.full.(*fastAnalyzer).tok
	checks := []struct {
		name       string
		want, have []string
	}{
		{"tokenizer", dump(d.Tokenizer.Tokenize([]byte(text))), dump(tok.Tokenize([]byte(text)))},
		{"full", dumpAnalysis(c.chain.full, text), dumpAnalysis(c.fast.full, text)},
		{"full, stem cache", dumpAnalysis(c.chain.full, text), dumpAnalysis(c.cached.full, text)},
		{"surface", dumpAnalysis(c.chain.surface, text), dumpAnalysis(c.fast.surface, text)},
	}
	for _, ch := range checks {
		if !slices.Equal(ch.want, ch.have) {
			return fmt.Sprintf("%s analysis of %q:\nbleve: %v\nfast:  %v", ch.name, text, ch.want, ch.have)
		}
	}
	return ""
}

func TestFastAnalyzerSameTokens(t *testing.T) {
	c := newChainAnalysis(t)
	for _, text := range trickyTexts {
		if d := c.diff(text); d != "" {
			t.Error(d)
		}
	}
}

// trickyTexts are texts that word segmentation and the filters treat
// specially.
var trickyTexts = []string{
	"",
	" ",
	"The Quick brown fox's tail, and the dogs' bowls.",
	"JOHN'S o'clock don't rock'n'roll 'quoted' ''' a'b'c a''b 's s'",
	"don’t John’s ＪＯＨＮ＇Ｓ it＇s",
	"4.936 2,000 1st 2nd 3.14.15 1,2,3 1;2 1:2 a:b a;b a.b. .5 5. 1..2 1,,2 1.a a.1 a1.2 1a.b a1.b",
	"_ __ a_b _a a_ 1_2 _1 1_ 1_a a_1 1_.2 a_.b __init__ snake_case_42",
	"state-of-the-art e-mail x-ray -5 5-",
	"https://example.com/path?q=a+b&c=d#frag www.example.co.uk/a_b",
	"john.smith@example.com first.last+tag@sub.example.org",
	"中文分词 日本語のテキスト カタカナ ひらがな 한국어 텍스트",
	"mixed中文text 中a中 1中2 Tokyo東京 東京Tokyo",
	"cafe\u0301 e\u0301 \u0301a a \u0301b naïve façade résumé",
	"ＡＢＣ１２３ ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ",
	"ﬁnancial ﬂow ﬀ ½ ² ℃ ㎏ Ⅻ",
	"emoji 😀 👍🏽 👨‍👩‍👧 🇬🇧🇺🇸 #1 @user",
	"tab\there\nnew\r\nline\vvertical\fform",
	"bad \xff utf8 \xc3 here \xe4\xb8 end",
	"\xff",
	"\xe4\xe6\x960",
	"abc\xffdef",
	"Ⱥ Ⱦ ΣΑΣ ὈΔΥΣΣΕΎΣ İstanbul ß ẞ",
	"שָׁלוֹם עברית צה\"ל וו'",
	"עִבְרִית a\"b",
	"٣٤٥ ١٢٣ 12٣ Ⅷ",
	"the and a an of to in is it",
	"Running runs ran runner's RUNNERS' generously",
	"x's 's s's ''s",
	"\u00ad soft\u00adhyphen zero\u200bwidth zwj\u200djoin",
	"end.",
	"a",
	"1",
	"'",
}

// TestNewTerms checks that NewTerms's function, used from several
// goroutines, gives what Terms gives.
func TestNewTerms(t *testing.T) {
	terms := NewTerms()
	// Not the ones that are not valid UTF-8: bleve's bigram filter panics
	// on some (see dumpAnalysis), and Terms is given article text.
	var texts []string
	for _, text := range trickyTexts {
		if utf8.ValidString(text) {
			texts = append(texts, text)
		}
	}
	g := synth.New(2, 30000)
	for i := range 40 {
		texts = append(texts, g.Article(i))
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, text := range texts {
				if got, want := terms(text), Terms(text); !slices.Equal(got, want) {
					t.Errorf("terms of %.40q:\n got %q\nwant %q", text, got, want)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkTerms is Terms beside NewTerms's function, on the synthetic
// articles of bench/search.sh.
func BenchmarkTerms(b *testing.B) {
	g := synth.New(1, 30000)
	texts := make([]string, 500)
	for i := range texts {
		texts[i] = g.Article(i)
	}
	for _, bc := range []struct {
		name  string
		terms func(string) []string
	}{{"Terms", Terms}, {"NewTerms", NewTerms()}} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				bc.terms(texts[i%len(texts)])
				i++
			}
		})
	}
}

// TestFastAnalyzerRealText compares whole files of real text: the sample
// corpus and the test articles of this package and of corpus, in their
// raw form (markup, headers, curly quotes, CJK).
func TestFastAnalyzerRealText(t *testing.T) {
	c := newChainAnalysis(t)
	var paths []string
	for _, pattern := range []string{"../corpus/sample/*", "../corpus/testdata/*/*", "../corpus/testdata/*", "testdata/articles/*", "testdata/articles/*/*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // a folder
		}
		n++
		if d := c.diff(string(data)); d != "" {
			t.Errorf("%s: %.2000s", p, d)
		}
	}
	if n < 10 {
		t.Fatalf("compared %d files; the globs found %v", n, paths)
	}
	t.Logf("compared %d files", n)
}

// TestFastAnalyzerShortStrings compares every string of up to four
// characters from an alphabet of the characters word segmentation treats
// specially.
func TestFastAnalyzerShortStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("all short strings: a few seconds")
	}
	c := newChainAnalysis(t)
	alphabet := []string{"a", "S", "1", "_", ".", ",", ":", ";", "'", "\"", " ", "\n", "é", "中", "’", "\u0301"}
	var walk func(prefix string, n int)
	failures := 0
	walk = func(prefix string, n int) {
		if failures > 10 {
			return
		}
		if d := c.diff(prefix); d != "" {
			t.Error(d)
			failures++
		}
		if n == 0 {
			return
		}
		for _, s := range alphabet {
			walk(prefix+s, n-1)
		}
	}
	walk("", 4)
}

// TestFastAnalyzerLongText compares a long text, where tokens are
// allocated in several slabs.
func TestFastAnalyzerLongText(t *testing.T) {
	c := newChainAnalysis(t)
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "Word%d it's 4.%d, the 中文 café's ", i, i)
	}
	if d := c.diff(b.String()); d != "" {
		t.Error(d)
	}
}

func FuzzFastAnalyzer(f *testing.F) {
	for _, s := range []string{
		"The fox's tail, 4.936 and 2,000 1st", "don’t stop", "中文 text", "cafe\u0301",
		"a.b:c'd_e 1.2,3;4", "ﬁnancial ＡＢＣ", "bad \xff utf8", "👍🏽 🇬🇧",
		"x\t\n\r\n y", "שָׁלוֹם צה\"ל",
	} {
		f.Add(s)
	}
	c := newChainAnalysis(f)
	f.Fuzz(func(t *testing.T, text string) {
		if d := c.diff(text); d != "" {
			t.Error(d)
		}
	})
}

// BenchmarkAnalyze analyses synthetic articles (those of bench/search.sh:
// 300-1,200 words of a Zipf vocabulary) with bleve's chains and with the
// fast analyzers, the full one with a stem cache as indexing uses it.
//
//	go test ./search -run '^$' -bench Analyze -benchmem
func BenchmarkAnalyze(b *testing.B) {
	im, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	chain, err := chainAnalyzersOf(im)
	if err != nil {
		b.Fatal(err)
	}
	fast, err := analyzersOf(im)
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(1, 30000)
	texts := make([][]byte, 500)
	size := 0
	for i := range texts {
		texts[i] = []byte(g.Article(i))
		size += len(texts[i])
	}
	for _, bc := range []struct {
		name string
		a    analysis.Analyzer
	}{
		{"chain", chain.withStemCache().full},
		{"fast", fast.withStemCache().full},
		{"chain-surface", chain.surface},
		{"fast-surface", fast.surface},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size / len(texts)))
			in := make([]byte, 0, 16<<10)
			i := 0
			for b.Loop() {
				in = append(in[:0], texts[i%len(texts)]...)
				bc.a.Analyze(in)
				i++
			}
		})
	}
}

// TestStemCacheSharedAndFull stems words, stop words among them, through
// one cache from several goroutines, past the table's last doubling, and
// twice: every stem is the stemmer's, and stop words are dropped.
func TestStemCacheSharedAndFull(t *testing.T) {
	if testing.Short() {
		t.Skip("150,000 words: a few seconds")
	}
	im, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	chain, err := chainAnalyzersOf(im)
	if err != nil {
		t.Fatal(err)
	}
	var stopFilter analysis.TokenFilter
	for _, f := range chain.full.(*analysis.DefaultAnalyzer).TokenFilters {
		if _, ok := f.(*stop.StopTokensFilter); ok {
			stopFilter = f
		}
	}
	stemmer := en.NewEnglishStemmerFilter()
	c := newStemCacheSized(stemmer, stemCacheSlots)
	c.stop = stopFilter
	words := make([]string, 150000)
	want := make([]string, len(words))
	for i := range words {
		words[i] = fmt.Sprintf("%sing%d", strings.Repeat("abcdefghijklmnopqrstuvwxyz"[i%26:i%26+1], 1+i%7), i/26)
		switch {
		case i%1000 == 0:
			words[i] = strings.Repeat("nationalization", 4) // longer than a slot holds
		case i%100 == 0:
			words[i] = stopWords[i/100%len(stopWords)].(string)
		}
		if !isStopWord(words[i]) {
			want[i] = string(stemmer.Filter(analysis.TokenStream{{Term: []byte(words[i])}})[0].Term)
		}
	}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pass := range 2 {
				for i := g; i < len(words); i += 2 + pass {
					ts := analysis.TokenStream{{Term: []byte(words[i])}, {Term: []byte(words[i])}}
					got := dump(c.Filter(ts))
					var exp []string
					if want[i] != "" {
						exp = dump(analysis.TokenStream{{Term: []byte(want[i])}, {Term: []byte(want[i])}})
					}
					if !slices.Equal(got, exp) && bad.Add(1) < 5 {
						t.Errorf("stems of %q: got %q, want %q", words[i], got, exp)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := len(c.table.Load().slots); n != stemCacheSlots {
		t.Errorf("table has %d slots, want it grown to %d", n, stemCacheSlots)
	}
}
