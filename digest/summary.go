package digest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
)

// Summary defaults.
const (
	DefaultSentences = 3
	DefaultMaxChars  = 700
	// MaxSentences and MaxSummaryChars bound what a caller may ask for; a
	// summary of MaxSummaryChars still fits a Discord embed with room for
	// the date line and "also in".
	MaxSentences    = 10
	MaxSummaryChars = 3000
)

// summaryVersion names the summarising algorithm in the summary cache:
// bump it whenever a change would pick different sentences.
const summaryVersion = 2

// Method is how summary sentences are chosen.
type Method string

// The methods.
const (
	// LexRank: centrality in the sentence graph with the news prior and
	// MMR (the default).
	LexRank Method = "lexrank"
	// Lead3: the first usable sentences, the classic news baseline that
	// LexRank must beat.
	Lead3 Method = "lead3"
)

// Options shape a summary. The zero value means the defaults.
type Options struct {
	// Sentences is the most sentences to pick (default 3).
	Sentences int
	// MaxChars is the character budget of the whole summary, sentences
	// joined by spaces (default 700). Sentences that do not fit are left
	// out whole, never cut.
	MaxChars int
	// Method defaults to LexRank.
	Method Method
}

// WithDefaults returns o with its zero fields set to the defaults: two
// options that summarise alike are equal after it.
func (o Options) WithDefaults() Options { return o.withDefaults() }

func (o Options) withDefaults() Options {
	if o.Sentences <= 0 {
		o.Sentences = DefaultSentences
	}
	if o.MaxChars <= 0 {
		o.MaxChars = DefaultMaxChars
	}
	if o.Method == "" {
		o.Method = LexRank
	}
	return o
}

// Validate reports options out of range.
func (o Options) Validate() error {
	switch {
	case o.Sentences < 0 || o.Sentences > MaxSentences:
		return fmt.Errorf("sentences must be 1 to %d, got %d", MaxSentences, o.Sentences)
	case o.MaxChars < 0 || o.MaxChars > MaxSummaryChars:
		return fmt.Errorf("summary budget must be 1 to %d characters, got %d", MaxSummaryChars, o.MaxChars)
	case o.Method != "" && o.Method != LexRank && o.Method != Lead3:
		return fmt.Errorf("unknown summary method %q (lexrank or lead3)", o.Method)
	}
	return nil
}

// key identifies the options in the summary cache.
func (o Options) key() string {
	o = o.withDefaults()
	return fmt.Sprintf("%s/k%d/c%d", o.Method, o.Sentences, o.MaxChars)
}

// NoSummary is what is shown for an article whose summary is empty: one
// message for the one condition, wherever a summary is shown.
const NoSummary = "No summary: the article has no complete sentence that fits the summary's length."

// Summary is an extractive summary: whole sentences of the article in
// their original order.
type Summary struct {
	Sentences []string
}

// Text returns the sentences joined by spaces (none after a CJK full stop).
func (s Summary) Text() string {
	var b strings.Builder
	for i, t := range s.Sentences {
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(s.Sentences[i-1]); !(r == '。' || r == '！' || r == '？' || isClosingMark(r) && isCJKText(s.Sentences[i-1])) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

func isCJKText(s string) bool {
	for _, r := range s {
		if isCJK(r) {
			return true
		}
	}
	return false
}

// TermStats gives the document frequencies IDF is computed from.
type TermStats interface {
	// Docs is the number of documents counted.
	Docs() int
	// DocFreq is how many of them contain term.
	DocFreq(term string) int
}

// idf is the smoothed inverse document frequency of a term that occurs in
// df of n documents; always positive.
func idf(n, df int) float64 {
	if df > n {
		df = n
	}
	return math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5))
}

// Summarizer picks summary sentences. It holds no per-article state and
// is safe for concurrent use.
type Summarizer struct {
	analyze Analyzer
	stop    map[string]bool
	split   *Splitter
	// marker is what the analyzer makes of breakMarker, when that is one
	// term and passes through unchanged by its neighbours; then all the
	// sentences of an article are analysed in one call.
	marker  string
	scratch scratchPool // buffers reused across summaries
}

// breakMarker separates sentences analysed in one call: a made-up word no
// article contains.
const breakMarker = "qzxjbreakqzxj"

// NewSummarizer returns a summarizer that analyses text with an and splits
// it with sp.
func NewSummarizer(an Analyzer, sp *Splitter) *Summarizer {
	s := &Summarizer{analyze: an, stop: stopSet(an), split: sp}
	if m := an(breakMarker); len(m) == 1 {
		probe := an("Patrols. 漠河市 " + breakMarker + " 漠河市 patrols' " + breakMarker + " " + breakMarker)
		if slices.Equal(probe, append(append(append(an("Patrols. 漠河市"), m[0]), an("漠河市 patrols'")...), m[0], m[0])) {
			s.marker = m[0]
		}
	}
	return s
}

// analyzeEach returns the terms of each text. With a usable marker it
// analyses them all in one call: an analyzer such as bleve's costs about
// as much per call as per ten words.
func (s *Summarizer) analyzeEach(texts []string) [][]string {
	out := make([][]string, len(texts))
	if s.marker != "" && len(texts) > 1 {
		if !slices.ContainsFunc(texts, func(t string) bool { return indexFold(t, breakMarker) >= 0 }) {
			terms := s.analyze(strings.Join(texts, "\n\n"+breakMarker+"\n\n"))
			k, start := 0, 0
			for i, t := range terms {
				if t == s.marker {
					out[k] = terms[start:i:i]
					k, start = k+1, i+1
					if k == len(texts)-1 {
						break
					}
				}
			}
			if k == len(texts)-1 {
				out[k] = terms[start:]
				return out
			}
		}
	}
	for i, t := range texts {
		out[i] = s.analyze(t)
	}
	return out
}

// Summarize returns the summary of a. stats supplies document frequencies
// (nil: every term counts the same). The same article, statistics and
// options always give the same summary.
func (s *Summarizer) Summarize(a corpus.Article, stats TermStats, opts Options) Summary {
	opts = opts.withDefaults()
	sents := s.split.Split(a.Body)

	// Graph nodes: every sentence but boilerplate.
	nodes := make([]int, 0, len(sents))
	for i, st := range sents {
		if st.Kind != KindBoilerplate {
			nodes = append(nodes, i)
		}
	}
	// Candidates: complete sentences, not a repeat, not the title again.
	// But the lead stays when the title is a cut-short copy of it ("A major
	// chipmaker opened a $2 billion…"): the whole sentence is shown nowhere
	// else and is usually the gist. And a one-sentence article's summary is
	// that sentence, even when it is also the title.
	title := normalizeSentence(strings.TrimSuffix(a.Title, "…"))
	titleCut := strings.HasSuffix(a.Title, "…")
	seen := map[string]bool{}
	var candidates []int // indexes into nodes
	titleAgain := -1     // the first sentence left out as the title again
	lead := true
	for ni, i := range nodes {
		st := sents[i]
		norm := normalizeSentence(st.Text)
		if st.Kind != KindText || seen[norm] {
			continue
		}
		isLead := lead
		lead = false
		cutCopy := titleCut && title != "" && strings.HasPrefix(norm, title)
		if norm == title || (cutCopy && !isLead) {
			if titleAgain < 0 {
				titleAgain = ni
			}
			continue
		}
		seen[norm] = true
		if utf8.RuneCountInString(st.Text) <= opts.MaxChars {
			candidates = append(candidates, ni)
		}
	}
	if len(candidates) == 0 && titleAgain >= 0 && utf8.RuneCountInString(sents[nodes[titleAgain]].Text) <= opts.MaxChars {
		candidates = []int{titleAgain}
	}
	if len(candidates) == 0 {
		return Summary{}
	}

	runes := make([]int, len(nodes)) // the length of each candidate
	for _, c := range candidates {
		runes[c] = utf8.RuneCountInString(sents[nodes[c]].Text)
	}
	length := func(ni int) int { return runes[ni] }
	fits := func(picked []int, c int) bool {
		total := length(c)
		for _, p := range picked {
			total += length(p) + 1
		}
		return total <= opts.MaxChars
	}

	var picked []int
	if opts.Method == Lead3 {
		for _, c := range candidates {
			if len(picked) == opts.Sentences {
				break
			}
			if fits(picked, c) {
				picked = append(picked, c)
			}
		}
	} else {
		sc := s.getScratch()
		defer s.putScratch(sc) // nothing of it escapes: only sentences do
		vecs, titleVec, vocab := s.vectors(sc, sents, nodes, a.Title, stats)
		sim := similarities(sc, vecs, vocab)
		// A headline says what the story is about; a title that is only the
		// first sentence again says nothing more than position does.
		var titleSim []float64
		if len(nodes) > 0 && !strings.HasPrefix(normalizeSentence(sents[nodes[0]].Text), title) {
			titleSim = make([]float64, len(vecs))
			for i, v := range vecs {
				titleSim[i] = cosine(titleVec, v)
			}
		}
		scores := lexRank(sim, positionPrior(len(vecs), titleSim))
		// A bare quotation ("I really didn't expect …") needs its speaker:
		// it is picked only when it is far more central than the rest.
		for ni, i := range nodes {
			if bareQuote(sents[i].Text) {
				scores[ni] *= quotePenalty
			}
		}
		picked = mmrPick(opts.Sentences, candidates, scores, sim, len(vecs), fits)
	}
	slices.Sort(picked)
	out := Summary{Sentences: make([]string, len(picked))}
	for i, ni := range picked {
		out.Sentences[i] = sents[nodes[ni]].Text
	}
	return out
}

// vectors returns the TF-IDF vectors of the node sentences and of the
// title, over a vocabulary local to the article, and its size.
func (s *Summarizer) vectors(sc *scratch, sents []Sentence, nodes []int, title string, stats TermStats) ([]vector, vector, int) {
	ids := sc.ids
	weights := sc.weights[:0] // idf per local term
	counts := sc.counts[:0]   // occurrences per local term in one sentence
	touched := sc.touched[:0]
	var termBuf []int32     // backing arrays of the vectors
	var weightBuf []float64 // (set below, before the first vec)
	defer func() {
		sc.weights, sc.counts, sc.touched, sc.termBuf, sc.weightBuf = weights, counts, touched, termBuf, weightBuf
	}()
	n := 0
	if stats != nil {
		n = stats.Docs()
	}
	vec := func(terms []string) vector {
		touched = touched[:0]
		for _, t := range terms {
			if s.stop[t] {
				continue
			}
			id, ok := ids[t]
			if !ok {
				id = int32(len(ids))
				ids[t] = id
				w := 1.0
				if stats != nil {
					w = idf(n, stats.DocFreq(t))
				}
				weights = append(weights, w)
				counts = append(counts, 0)
			}
			if counts[id] == 0 {
				touched = append(touched, id)
			}
			counts[id]++
		}
		slices.Sort(touched)
		// Carved from one allocation for all the vectors (total bounds
		// their sizes).
		v := vector{terms: append(termBuf[len(termBuf):len(termBuf):len(termBuf)+len(touched)], touched...),
			weights: weightBuf[len(weightBuf) : len(weightBuf)+len(touched) : len(weightBuf)+len(touched)]}
		termBuf, weightBuf = termBuf[:len(termBuf)+len(touched)], weightBuf[:len(weightBuf)+len(touched)]
		var sq float64
		for k, id := range v.terms {
			w := (1 + math.Log(float64(counts[id]))) * weights[id]
			v.weights[k] = w
			sq += w * w
			counts[id] = 0
		}
		v.norm = math.Sqrt(sq)
		return v
	}
	texts := make([]string, 0, len(nodes)+1)
	for _, i := range nodes {
		texts = append(texts, sents[i].Text)
	}
	terms := s.analyzeEach(append(texts, title))
	total := 0
	for _, t := range terms {
		total += len(t)
	}
	termBuf, weightBuf = grow(sc.termBuf, total)[:0], grow(sc.weightBuf, total)[:0]
	vecs := make([]vector, len(nodes))
	for k := range nodes {
		vecs[k] = vec(terms[k])
	}
	tv := vec(terms[len(nodes)])
	return vecs, tv, len(ids)
}

// quotePenalty scales the score of a sentence that is all quotation.
const quotePenalty = 0.5

// bareQuote reports whether s is a quotation from its first character to
// its last, with no narration saying who speaks.
func bareQuote(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return (first == '"' && last == '"' && strings.Count(s, `"`) == 2) ||
		(first == '“' && last == '”' && strings.Count(s, "“") == 1)
}
