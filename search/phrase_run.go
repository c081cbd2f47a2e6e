package search

import (
	"cmp"
	"context"
	"slices"

	"github.com/blevesearch/bleve/v2"
	blevesearch "github.com/blevesearch/bleve/v2/search"
)

// Checking a phrase (phrase.go) costs a read of the article and an
// analysis of its text, so it is bounded: a search first asks for its candidates with phrases loose
// (their words anywhere in the field, excluded phrases left out), best
// first, up to phraseCandidates of them (more when a later page is asked
// for). When there are no more than that, all are checked, and results and
// Total are exact. Otherwise the best are checked a chunk at a time until
// the page is made of hits that score at least the next candidate: a
// phrase not found only ever lowers a score (its field's share is lost),
// so none of the candidates left can come before them. Total is then an
// estimate (Results.About).

// phraseCandidates is how many candidates a search with phrases takes
// first (more for later pages): with no more than that, all are checked
// and the results are exact. Checking one costs about 0.1–0.2 ms (reading
// and analysing a body of 5 kB).
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
	if int(cands.Total) > len(cands.Hits) {
		return r.bestChecked(ctx, cands)
	}
	sr, err := r.checkedQuery(ctx, cands.Hits, r.size, r.from)
	if err != nil {
		return found{}, err
	}
	return found{hits: sr.Hits, total: int(sr.Total)}, nil
}

// checkedQuery runs r's query over the candidates cands only, with its
// phrases checked on their stored text, and returns size hits from from.
func (r runner) checkedQuery(ctx context.Context, cands []*blevesearch.DocumentMatch, size, from int) (*bleve.SearchResult, error) {
	ids := make([]string, len(cands))
	for i, h := range cands {
		ids[i] = h.ID
	}
	check := newPhraseCheck(ctx, r.ix.hitArticle, r.ix.docs.analyzer, ids)
	return r.query(ctx, check, ids, size, from)
}

// checkChunk is how many candidates bestChecked checks at first; each
// chunk after is as large as all checked before it, up to checkChunkMax,
// so a phrase found among the best few costs a few checks and one found
// nowhere costs a pass over its candidates in few index queries.
const (
	checkChunk    = 25
	checkChunkMax = 2000
)

// bestChecked checks the best of more candidates than phraseCandidates,
// first the best of cands, a chunk at a time, and stops once the page is
// made of hits that score at least the next candidate: a candidate's
// score bounds what it scores checked, so none of the rest can come
// before them. A page that cannot be filled so is only settled by checking
// every candidate: a phrase that is in the corpus is always found, however
// far down its words' ranking it is (the search's context bounds the
// time). Total is estimated from the share of the checked candidates that
// passed, unless all were checked.
func (r runner) bestChecked(ctx context.Context, first *bleve.SearchResult) (found, error) {
	need := r.from + r.size
	total := int(first.Total)
	cands := first.Hits
	var hits []*blevesearch.DocumentMatch
	checked := 0
	for {
		if checked == len(cands) && checked < total {
			more, err := r.query(ctx, nil, nil, min(max(len(cands), checkChunkMax), total-len(cands)), len(cands))
			if err != nil {
				return found{}, err
			}
			cands = append(cands, more.Hits...)
		}
		if checked == len(cands) {
			break
		}
		if n := len(hits); n >= need && hits[need-1].Score >= cands[checked].Score {
			break
		}
		if err := ctx.Err(); err != nil {
			return found{}, err
		}
		step := min(max(checkChunk, checked), checkChunkMax)
		chunk := cands[checked:min(checked+step, len(cands))]
		sr, err := r.checkedQuery(ctx, chunk, len(chunk), 0)
		if err != nil {
			return found{}, err
		}
		hits = append(hits, sr.Hits...)
		checked += len(chunk)
		// Best first; equal scores in the index's order, as bleve sorts.
		slices.SortStableFunc(hits, func(a, b *blevesearch.DocumentMatch) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), a.IndexInternalID.Compare(b.IndexInternalID))
		})
	}
	// The share of the checked candidates that passed, of all. When none
	// did, there may still be some among the rest.
	f := found{total: len(hits), about: checked < total}
	if f.about && checked > 0 {
		f.total = roughly(max(len(hits), len(hits)*total/checked))
	}
	f.hits = hits[min(r.from, len(hits)):min(need, len(hits))]
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
