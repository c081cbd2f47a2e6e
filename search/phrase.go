package search

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/digestbot/digestbot/corpus"
)

// The index keeps no term positions (they were a quarter of the work of
// loading and most of the index's size). A phrase is found in two steps:
// the index gives the articles whose field has every word of the phrase,
// scored as bleve's phrase query scores them, and each of those is checked
// on its stored text, analysed by the index's own analyzer, so positions
// and the gaps of stop words are exactly those the index would have kept.
// The check sits inside the query (phraseSearcher), so everything around
// it — title or body, exclusions, the any-word fallback, scores, totals,
// paging — is what a positional index gives.
//
// Checking costs a read of the article and an analysis of its text, so it
// is bounded: a search first asks for its candidates with phrases loose
// (their words anywhere in the field, excluded phrases left out), best
// first, and checks only the first phraseCandidates of them (more when a
// later page is asked for). When there are no more candidates than that,
// every candidate is checked and the results are exact. Otherwise Total is
// an estimate; the order stays right down to the hits whose score is at
// least the last checked candidate's, since checking only ever lowers a
// score (a phrase not found drops its field's share of it).

// phraseCandidates is how many candidates a search with phrases checks at
// least (more for later pages). Checking one costs about 0.15 ms (reading
// and analysing a body of 5 kB), so a search costs at most some 15 ms
// more than with term positions, which are not free either.
const phraseCandidates = 100

// needsCheck reports whether u is a phrase that must be checked on the
// stored text: words in a row, or words before a prefix*.
func needsCheck(u unit) bool {
	return len(u.phrase) > 1 || u.prefix != "" && len(u.phrase) > 0
}

// checkedPage runs r's query with its phrases checked on the best
// candidates.
func (r runner) checkedPage(ctx context.Context) (found, error) {
	m := max(r.candidates, r.from+r.size)
	cands, err := r.query(ctx, nil, nil, m, 0)
	if err != nil || cands.Total == 0 {
		return found{}, err
	}
	ids := make([]string, len(cands.Hits))
	for i, h := range cands.Hits {
		ids[i] = h.ID
	}
	check := newPhraseCheck(ctx, r.ix.hitArticle, r.ix.docs.analyzer, ids)
	sr, err := r.query(ctx, check, ids, r.size, r.from)
	if err != nil {
		return found{}, err
	}
	f := found{hits: sr.Hits, total: int(sr.Total)}
	if all := int(cands.Total); all > len(ids) && f.total > 0 {
		// The share of the checked candidates that passed, of all.
		f.total, f.about = roughly(max(f.total, f.total*all/len(ids))), true
	}
	return f, nil
}

// roughly rounds n to two significant digits (4,837 → 4,800).
func roughly(n int) int {
	unit := 1
	for n/unit >= 100 {
		unit *= 10
	}
	return n / unit * unit
}

// phraseQuery matches the documents whose field holds a phrase: slots of
// terms position by position, an empty slot a stop word's gap.
type phraseQuery struct {
	slots [][]string
	field string
	boost *query.Boost
	check *phraseCheck
	unit  int // the phrase's number in check
}

func (q *phraseQuery) SetBoost(b float64) {
	boost := query.Boost(b)
	q.boost = &boost
}

func (q *phraseQuery) Boost() float64 { return q.boost.Value() }

// Searcher builds the same conjunction of term searchers as bleve's
// multi-phrase searcher, so that scores are the same, and wraps it in the
// check.
func (q *phraseQuery) Searcher(ctx context.Context, r index.IndexReader, _ mapping.IndexMapping, options blevesearch.SearcherOptions) (blevesearch.Searcher, error) {
	var parts []blevesearch.Searcher
	closeAll := func() {
		for _, s := range parts {
			_ = s.Close()
		}
	}
	for _, slot := range q.slots {
		var terms []blevesearch.Searcher
		for _, t := range slot {
			if t == "" {
				continue
			}
			ts, err := searcher.NewTermSearcher(ctx, r, t, q.field, q.boost.Value(), options)
			if err != nil {
				for _, s := range terms {
					_ = s.Close()
				}
				closeAll()
				return nil, fmt.Errorf("phrase %v: %w", q.slots, err)
			}
			terms = append(terms, ts)
		}
		switch {
		case len(terms) == 1 && len(slot) == 1:
			parts = append(parts, terms[0])
		case len(terms) > 0:
			d, err := searcher.NewDisjunctionSearcher(ctx, r, terms, 1, options)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("phrase %v: %w", q.slots, err)
			}
			parts = append(parts, d)
		}
	}
	must, err := searcher.NewConjunctionSearcher(ctx, r, parts, options)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("phrase %v: %w", q.slots, err)
	}
	// As bleve's phrase searcher: normalised on its own until a parent
	// sets the norm.
	must.SetQueryNorm(1 / math.Sqrt(must.Weight()))
	s := &phraseSearcher{must: must, reader: r, check: q.check, unit: q.unit, field: fieldBodyBit}
	if q.field == fieldTitle {
		s.field = fieldTitleBit
	}
	return s, nil
}

// phraseSearcher passes on the matches of must whose stored text holds
// the phrase.
type phraseSearcher struct {
	must   blevesearch.Searcher
	reader index.IndexReader
	check  *phraseCheck
	unit   int
	field  int
}

func (s *phraseSearcher) Next(ctx *blevesearch.SearchContext) (*blevesearch.DocumentMatch, error) {
	dm, err := s.must.Next(ctx)
	return s.filter(ctx, dm, err)
}

func (s *phraseSearcher) Advance(ctx *blevesearch.SearchContext, id index.IndexInternalID) (*blevesearch.DocumentMatch, error) {
	dm, err := s.must.Advance(ctx, id)
	return s.filter(ctx, dm, err)
}

// filter returns dm if it holds the phrase, else the next match that does.
func (s *phraseSearcher) filter(ctx *blevesearch.SearchContext, dm *blevesearch.DocumentMatch, err error) (*blevesearch.DocumentMatch, error) {
	if s.check == nil {
		return dm, err
	}
	for ; err == nil && dm != nil; dm, err = s.must.Next(ctx) {
		id, err := s.reader.ExternalID(dm.IndexInternalID)
		if err != nil {
			return nil, fmt.Errorf("phrase: document ID: %w", err)
		}
		ok, err := s.check.holds(id, s.field, s.unit)
		if err != nil {
			s.check.fail(err)
			return nil, err
		}
		if ok {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
	}
	return dm, err
}

func (s *phraseSearcher) Close() error              { return s.must.Close() }
func (s *phraseSearcher) Weight() float64           { return s.must.Weight() }
func (s *phraseSearcher) SetQueryNorm(norm float64) { s.must.SetQueryNorm(norm) }
func (s *phraseSearcher) Count() uint64             { return s.must.Count() }
func (s *phraseSearcher) Min() int                  { return 0 }
func (s *phraseSearcher) Size() int                 { return s.must.Size() + 64 }
func (s *phraseSearcher) DocumentMatchPoolSize() int {
	return s.must.DocumentMatchPoolSize() + 1
}

// Fields a phrase is checked in.
const (
	fieldTitleBit = iota
	fieldBodyBit
)

// articleReader reads a stored article: the whole of it, or without its
// body when body is false and the store can leave it out.
type articleReader func(ctx context.Context, id string, body bool) (corpus.Article, bool, error)

// phraseCheck checks the phrases of one search on the stored text of the
// articles the index proposes. It remembers its answers for the search's
// duration: the title's and the body's query, and the any-word fallback,
// ask about the same articles. Safe for concurrent use.
type phraseCheck struct {
	ctx  context.Context
	read articleReader
	// only are the articles looked at: others hold nothing.
	only    map[string]bool
	an      analysis.Analyzer
	phrases [][][]string
	// words are the terms of all the phrases: the tokens worth placing.
	words map[string]bool

	mu sync.Mutex
	// found holds, for each article and field looked at, a bit per phrase
	// it holds.
	found map[fieldDoc]uint64
	// read counts the fields read from the store.
	reads int
	// err is the first error reading the store.
	err error
}

func (c *phraseCheck) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// failed returns the first error reading the store, if any.
func (c *phraseCheck) failed() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

type fieldDoc struct {
	id    string
	field int
}

// newPhraseCheck returns a check that looks only at the articles ids.
func newPhraseCheck(ctx context.Context, read articleReader, an analysis.Analyzer, ids []string) *phraseCheck {
	c := &phraseCheck{ctx: ctx, read: read, an: an, words: map[string]bool{}, found: map[fieldDoc]uint64{}}
	c.only = make(map[string]bool, len(ids))
	for _, id := range ids {
		c.only[id] = true
	}
	return c
}

// A search checks at most two phrases per clause (title and body): one bit
// each in a uint64. This fails to compile if maxClauses outgrows that.
var _ [64 - 2*maxClauses]struct{}

// add registers a phrase and returns its number.
func (c *phraseCheck) add(slots [][]string) int {
	for _, slot := range slots {
		for _, t := range slot {
			c.words[t] = true
		}
	}
	c.phrases = append(c.phrases, slots)
	return len(c.phrases) - 1
}

// holds reports whether field of the stored article id holds phrase n. An
// article no longer stored holds nothing.
func (c *phraseCheck) holds(id string, field, n int) (bool, error) {
	if !c.only[id] {
		return false, nil
	}
	key := fieldDoc{id, field}
	c.mu.Lock()
	bits, ok := c.found[key]
	c.mu.Unlock()
	if !ok {
		a, stored, err := c.read(c.ctx, id, field == fieldBodyBit)
		if err != nil {
			return false, err
		}
		if stored {
			text := a.Title
			if field == fieldBodyBit {
				text = a.Body
			}
			bits = c.match(text)
		}
		c.mu.Lock()
		c.found[key] = bits
		c.reads++
		c.mu.Unlock()
	}
	return bits&(1<<n) != 0, nil
}

// match analyses text and returns a bit per phrase it holds.
func (c *phraseCheck) match(text string) uint64 {
	at := map[int][]string{} // position → the phrases' terms there
	for _, t := range c.an.Analyze([]byte(text)) {
		if c.words[string(t.Term)] {
			at[t.Position] = append(at[t.Position], string(t.Term))
		}
	}
	var bits uint64
	for n, slots := range c.phrases {
		if holdsAt(at, slots) {
			bits |= 1 << n
		}
	}
	return bits
}

// holdsAt reports whether the terms placed in at hold the phrase slots
// somewhere: each slot's position has one of its terms, a gap anything.
func holdsAt(at map[int][]string, slots [][]string) bool {
	for start, terms := range at {
		if !anyOf(terms, slots[0]) {
			continue
		}
		ok := true
		for i := 1; ok && i < len(slots); i++ {
			ok = len(slots[i]) == 0 || anyOf(at[start+i], slots[i])
		}
		if ok {
			return true
		}
	}
	return false
}

func anyOf(terms, want []string) bool {
	for _, t := range terms {
		for _, w := range want {
			if t == w {
				return true
			}
		}
	}
	return false
}
