package search

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

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
// paging — is what a positional index gives. How many candidates are
// checked is bounded: see phrase_run.go.

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
	if q.check != nil {
		if s.only, err = onlyIDs(r, q.check.ids); err != nil {
			_ = must.Close()
			return nil, fmt.Errorf("phrase %v: %w", q.slots, err)
		}
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
	// only are the internal IDs of the check's articles, in order: the
	// others are skipped without being looked at. next is the first not
	// yet passed.
	only []index.IndexInternalID
	next int
}

// onlyIDs returns the internal IDs of the documents ids, in index order.
func onlyIDs(r index.IndexReader, ids []string) ([]index.IndexInternalID, error) {
	d, err := r.DocIDReaderOnly(ids)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var out []index.IndexInternalID
	for {
		id, err := d.Next()
		if err != nil || id == nil {
			return out, err
		}
		out = append(out, slices.Clone(id))
	}
}

func (s *phraseSearcher) Next(ctx *blevesearch.SearchContext) (*blevesearch.DocumentMatch, error) {
	if s.check == nil {
		return s.must.Next(ctx)
	}
	return s.nextChecked(ctx)
}

func (s *phraseSearcher) Advance(ctx *blevesearch.SearchContext, id index.IndexInternalID) (*blevesearch.DocumentMatch, error) {
	if s.check == nil {
		return s.must.Advance(ctx, id)
	}
	for s.next < len(s.only) && s.only[s.next].Compare(id) < 0 {
		s.next++
	}
	return s.nextChecked(ctx)
}

// nextChecked returns the next of the check's articles that must matches
// and that holds the phrase.
func (s *phraseSearcher) nextChecked(ctx *blevesearch.SearchContext) (*blevesearch.DocumentMatch, error) {
	for s.next < len(s.only) {
		dm, err := s.must.Advance(ctx, s.only[s.next])
		if err != nil || dm == nil {
			s.next = len(s.only)
			return nil, err
		}
		for s.next < len(s.only) && s.only[s.next].Compare(dm.IndexInternalID) < 0 {
			s.next++
		}
		if s.next == len(s.only) || !s.only[s.next].Equals(dm.IndexInternalID) {
			ctx.DocumentMatchPool.Put(dm) // between the check's articles
			continue
		}
		s.next++
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
	return nil, nil
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
	// ids are the articles looked at: others hold nothing.
	ids     []string
	only    map[string]bool
	an      analysis.Analyzer
	phrases [][][]string
	// words are the terms of all the phrases: the tokens worth placing.
	words map[string]bool

	mu sync.Mutex
	// found holds, for each article and field looked at, a bit per phrase
	// it holds.
	found map[fieldDoc]uint64
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
	c := &phraseCheck{ctx: ctx, read: read, ids: ids, an: an, words: map[string]bool{}, found: map[fieldDoc]uint64{}}
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
		c.mu.Unlock()
	}
	return bits&(1<<n) != 0, nil
}

// prefetch checks the bodies of the check's articles for all its phrases
// on every core, before the query's searchers ask about them one by one.
// It leaves errors for them to meet.
func (c *phraseCheck) prefetch() {
	if c == nil {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), len(c.ids))
	if workers < 2 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(c.ids) || c.ctx.Err() != nil {
					return
				}
				if _, err := c.holds(c.ids[i], fieldBodyBit, 0); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
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
