package search

import (
	"cmp"
	"context"
	"math"
	"runtime/debug"
	"slices"
	"sort"
	"time"

	"github.com/blevesearch/bleve/v2"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/digestbot/digestbot/corpus"
)

// Paging limits.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// maxDepth is how far into the results paging may go.
	maxDepth = 10000
	// maxExpansions is how many indexed words a prefix* may stand for: the
	// most frequent ones.
	maxExpansions = 128
)

// Request narrows and pages a search (its query text is Search's q). The
// zero value asks for the first DefaultLimit results.
type Request struct {
	// From and To are WHEN expressions, as for `digestbot date`
	// (2023-07-03, 2023-07, 2023, 2023-01..2023-03, today, last-week, …):
	// results are dated within the start of From and the end of To. Empty
	// means open. Undated articles are left out by any date filter.
	From, To string
	// Limit is the number of results per page: DefaultLimit when zero, at
	// most MaxLimit.
	Limit int
	// Page is the page wanted, from 1 (0 means 1).
	Page int
	// Now is the current time in the user's time zone, for today,
	// last-week and the like. Zero: the index's clock.
	Now time.Time
	// NoSnippets leaves Hit.Snippet empty, for lists of titles.
	NoSnippets bool
	// candidates is how many candidates of a phrase search are checked at
	// least; 0: phraseCandidates. Tests change it.
	candidates int
}

// Hit is one article found.
type Hit struct {
	ID     string
	Title  string
	Date   corpus.Date
	Source string
	// URL is the original article's address, or empty.
	URL string
	// Score is the BM25 relevance; only its order within one search means
	// anything.
	Score float64
	// Snippet is the passage of the body that best matches the query, at
	// most about 200 characters, with the matched words marked.
	Snippet Snippet
}

// Results is one page of a search, best first.
type Results struct {
	Query string
	// Total is the number of articles found, on all pages.
	Total int
	Page  int
	Limit int
	// About is true when Total is an estimate, rounded: a phrase made of
	// common words had more candidate articles than are checked on their
	// text (see phrase_run.go). The page shown is still the best; a
	// search that finds nothing has checked every candidate.
	About bool
	// AnyWords is true when no article has all the words, so the results
	// are the articles with some of them.
	AnyWords bool
	// Ignored are words of the query that were not searched for because
	// they are too common (the, of).
	Ignored []string
	// Within is the date filter applied, if any.
	Within *corpus.Range
	Hits   []Hit
}

// Pages is the number of pages of results.
func (r Results) Pages() int {
	if r.Limit <= 0 {
		return 0
	}
	return (r.Total + r.Limit - 1) / r.Limit
}

// Search finds the articles matching q, best first. q is a few words, all
// of which must appear (in any form: patrols finds patrol), or when no
// article has them all, any of them. It may hold "exact phrases",
// -excluded words, prefix* words and the filters from:WHEN, to:WHEN and
// date:WHEN. A query that cannot be run gives a *QueryError whose message
// is meant for the user; other errors are the index's or the database's.
func (ix *Index) Search(ctx context.Context, q string, o Request) (Results, error) {
	res := Results{Query: q, Page: max(o.Page, 1), Limit: o.Limit}
	defer ix.releaseIfOver()
	if res.Limit <= 0 {
		res.Limit = DefaultLimit
	}
	if res.Limit > MaxLimit {
		return res, queryErrorf(q, "at most %d results per page, not %d", MaxLimit, res.Limit)
	}
	if (res.Page-1)*res.Limit >= maxDepth {
		return res, queryErrorf(q, "page %d is too far: only the first %d results can be paged through", res.Page, maxDepth)
	}
	now := o.Now
	if now.IsZero() {
		now = ix.opts.Now()
	}
	pq, err := parseQuery(q)
	if err != nil {
		return res, err
	}
	var extra []dateOp
	if o.From != "" {
		extra = append(extra, dateOp{op: "from", value: o.From})
	}
	if o.To != "" {
		extra = append(extra, dateOp{op: "to", value: o.To})
	}
	p, err := makePlan(q, pq, extra, ix.an, now)
	if err != nil {
		return res, err
	}
	res.Ignored, res.Within = p.ignored, p.dates

	f, err := ix.runOrHeal(ctx, p, res, cmp.Or(o.candidates, phraseCandidates))
	if err != nil {
		return res, err
	}
	res.Total, res.AnyWords, res.About = f.total, f.anyWords, f.about
	matches := f.hits

	m := newMatcher(p)
	res.Hits = make([]Hit, 0, len(matches))
	for _, dm := range matches {
		a, ok, err := ix.hitArticle(ctx, dm.ID, !o.NoSnippets)
		if err != nil {
			return res, err
		}
		if !ok {
			// Deleted after the index last caught up.
			ix.opts.Logger.Debug("search hit no longer stored", "id", dm.ID)
			continue
		}
		h := Hit{ID: a.ID, Title: a.Title, Date: a.Date, Source: a.Source, URL: a.URL, Score: dm.Score}
		if !o.NoSnippets {
			h.Snippet = makeSnippet(a.Body, m, ix.an, snippetRunes)
		}
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// found is what run finds: one page of hits and what is known of all.
type found struct {
	hits     []*blevesearch.DocumentMatch
	total    int
	anyWords bool
	// about is set when total is an estimate (see checkedPage).
	about bool
}

// runOrHeal runs p; when the index fails it (damage found by the query)
// it rebuilds the index and runs p again on the new one.
func (ix *Index) runOrHeal(ctx context.Context, p plan, res Results, candidates int) (found, error) {
	ix.mu.RLock()
	bi := ix.bi
	f, err := ix.run(ctx, p, res, candidates)
	ix.mu.RUnlock()
	if !failedIndex(err) {
		return f, err
	}
	if err := ix.heal(ctx, bi, "a search found the search index damaged"); err != nil {
		return found{}, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.run(ctx, p, res, candidates)
}

// run asks the index for one page of p: all units first, any of them when
// nothing has all. Phrases are checked on at least candidates articles.
// The caller holds ix.mu for reading.
func (ix *Index) run(ctx context.Context, p plan, res Results, candidates int) (f found, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			ix.opts.Logger.Error("search index panic", "query", res.Query, "panic", r)
			err = errIndexFailed
		}
	}()
	if ix.bi == nil {
		return found{}, errClosed
	}
	docs, err := ix.bi.DocCount()
	if err != nil {
		ix.opts.Logger.Error("search index document count", "error", err)
		return found{}, errIndexFailed
	}
	r := runner{ix: ix, p: p, docs: docs, label: res.Query, size: res.Limit, from: (res.Page - 1) * res.Limit, candidates: candidates}
	checked := !ix.positional() && (slices.ContainsFunc(p.must, needsCheck) || slices.ContainsFunc(p.not, needsCheck))
	for _, anyMode := range []bool{false, true} {
		if anyMode && (len(p.must) < 2 || f.total > 0) {
			break
		}
		r.anyMode = anyMode
		if checked {
			f, err = r.checkedPage(ctx)
		} else {
			var sr *bleve.SearchResult
			sr, err = r.query(ctx, nil, nil, r.size, r.from)
			if err == nil {
				f = found{hits: sr.Hits, total: int(sr.Total)}
			}
		}
		if err != nil {
			return found{}, err
		}
		f.anyWords = anyMode
	}
	return f, nil
}

// runner asks the index for the results of one plan.
type runner struct {
	ix         *Index
	p          plan
	anyMode    bool
	docs       uint64 // documents in the index
	label      string // the query, for the log
	size, from int    // the page
	candidates int    // phrases are checked on at least this many
}

// query asks the index for size results from from. With check nil,
// phrases are loose: their words are enough, and excluded phrases are
// left out. With ids, only those documents are looked at.
func (r runner) query(ctx context.Context, check *phraseCheck, ids []string, size, from int) (*bleve.SearchResult, error) {
	ix := r.ix
	must, err := ix.unitQueries(r.p.must, check)
	if err != nil {
		return nil, err
	}
	notUnits := r.p.not
	if check == nil {
		notUnits = slices.DeleteFunc(slices.Clone(notUnits), needsCheck)
	}
	not, err := ix.unitQueries(notUnits, check)
	if err != nil {
		return nil, err
	}
	check.prefetch()
	bq := query.NewBooleanQuery(nil, nil, nil)
	if r.anyMode {
		bq.AddShould(must...)
		bq.SetMinShould(1)
	} else {
		bq.AddMust(must...)
	}
	if len(not) > 0 {
		bq.AddMustNot(not...)
	}
	var filters []query.Query
	if r.p.dates != nil {
		filters = append(filters, dateFilter(*r.p.dates))
	}
	if ids != nil {
		filters = append(filters, query.NewDocIDQuery(ids))
	}
	switch len(filters) {
	case 1:
		bq.AddFilter(filters[0])
	case 2:
		bq.AddFilter(query.NewConjunctionQuery(filters))
	}
	req := bleve.NewSearchRequestOptions(bq, size, from, false)
	if ix.stats.Docs > 0 && r.docs > 0 {
		req.PreSearchData = map[string]any{blevesearch.BM25PreSearchDataKey: ix.bm25Stats(r.docs)}
	}
	sr, err := ix.bi.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := check.failed(); err != nil {
			return nil, err // the database's, not the index's
		}
		ix.opts.Logger.Error("search index query", "query", r.label, "error", err)
		return nil, errIndexFailed
	}
	return sr, nil
}

// bm25Stats gives BM25 the index's own average field lengths (see
// corpusStats) and the current number of documents.
func (ix *Index) bm25Stats(docs uint64) *blevesearch.BM25Stats {
	card := func(avg float64) int { return int(math.Round(max(avg, 1) * float64(docs))) }
	return &blevesearch.BM25Stats{
		DocCount: float64(docs),
		FieldCardinality: map[string]int{
			fieldTitle: card(ix.stats.TitleAvg),
			fieldBody:  card(ix.stats.BodyAvg),
			fieldFirst: int(docs),
			fieldLast:  int(docs),
			// bleve merges unscored filter clauses into one reader it
			// labels "*"; it asks for the field's stats all the same.
			"*": int(docs),
		},
	}
}

// dateFilter matches the articles whose dates lie wholly within r.
func dateFilter(r corpus.Range) query.Query {
	lo, hi := dayNumber(r.From), dayNumber(r.To)
	yes := true
	first := query.NewNumericRangeInclusiveQuery(&lo, nil, &yes, nil)
	first.SetField(fieldFirst)
	last := query.NewNumericRangeInclusiveQuery(nil, &hi, nil, &yes)
	last.SetField(fieldLast)
	return query.NewConjunctionQuery([]query.Query{first, last})
}

// unitQueries turns units into queries over the title (boosted) and the
// body. Their phrases are checked by check; with check nil, their words
// are enough.
func (ix *Index) unitQueries(units []unit, check *phraseCheck) ([]query.Query, error) {
	positional := ix.positional()
	out := make([]query.Query, 0, len(units))
	for _, u := range units {
		var fields []query.Query
		for _, f := range []struct {
			name  string
			boost float64
		}{{fieldTitle, titleBoost}, {fieldBody, 1}} {
			q, err := ix.fieldQuery(u, f.name, check, positional)
			if err != nil {
				return nil, err
			}
			if b, ok := q.(query.BoostableQuery); ok {
				b.SetBoost(f.boost)
			}
			fields = append(fields, q)
		}
		out = append(out, query.NewDisjunctionQuery(fields))
	}
	return out, nil
}

// positional reports whether the index keeps term positions, as indexes
// of layout 1 did. Tests build one to compare phrase matching with.
func (ix *Index) positional() bool {
	return ix.im.FieldMappingForPath(fieldBody).IncludeTermVectors
}

// fieldQuery is the query for unit u in one field. A phrase is checked by
// check on the stored text, or by the index's term positions when it
// keeps them (positional).
func (ix *Index) fieldQuery(u unit, field string, check *phraseCheck, positional bool) (query.Query, error) {
	phrase := u.phrase
	if u.prefix != "" {
		words, err := ix.expand(field, u.prefix)
		if err != nil {
			return nil, err
		}
		for _, s := range u.stems {
			if !slices.Contains(words, s) {
				words = append(words, s)
			}
		}
		if len(words) == 0 {
			return query.NewMatchNoneQuery(), nil
		}
		if len(phrase) == 0 {
			ds := make([]query.Query, len(words))
			for i, w := range words {
				t := query.NewTermQuery(w)
				t.SetField(field)
				ds[i] = t
			}
			return query.NewDisjunctionQuery(ds), nil
		}
		phrase = append(slices.Clone(phrase), make([][]string, u.gap)...)
		phrase = append(phrase, words)
	}
	if len(phrase) == 1 && len(phrase[0]) == 1 {
		t := query.NewTermQuery(phrase[0][0])
		t.SetField(field)
		return t, nil
	}
	if positional {
		return query.NewMultiPhraseQuery(phrase, field), nil
	}
	pq := &phraseQuery{slots: phrase, field: field}
	if len(phrase) > 1 && check != nil {
		// One slot (a word with alternatives) needs no check.
		pq.check, pq.unit = check, check.add(phrase)
	}
	return pq, nil
}

// expand returns the indexed words of field that start with prefix, the
// most frequent first, at most maxExpansions.
func (ix *Index) expand(field, prefix string) ([]string, error) {
	d, err := ix.bi.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		ix.opts.Logger.Error("search index dictionary", "field", field, "error", err)
		return nil, errIndexFailed
	}
	defer func() {
		if err := d.Close(); err != nil {
			ix.opts.Logger.Warn("search index dictionary: close", "field", field, "error", err)
		}
	}()
	type entry struct {
		term  string
		count uint64
	}
	var all []entry
	for {
		e, err := d.Next()
		if err != nil {
			ix.opts.Logger.Error("search index dictionary", "field", field, "error", err)
			return nil, errIndexFailed
		}
		if e == nil {
			break
		}
		all = append(all, entry{e.Term, e.Count})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].count > all[j].count })
	words := make([]string, 0, min(len(all), maxExpansions))
	for _, e := range all[:min(len(all), maxExpansions)] {
		words = append(words, e.term)
	}
	return words, nil
}
