package main

import (
	"encoding/binary"
	"math"
	"slices"
)

// BM25 parameters and the title's boost, as digestbot's search has them.
const (
	k1         = 1.2
	bm25B      = 0.75
	titleBoost = 2.0
)

var boosts = [2]float64{titleBoost, 1}

// scoring is how a field's match is scored.
type scoring int

const (
	// bleveBM25 is BM25 as bleve computes it for digestbot's queries:
	// sqrt(tf), idf squared (the query weight), a word found in only one
	// of the two fields halved (the disjunction's coordination), any-word
	// results scaled by the share of words found.
	bleveBM25 scoring = iota
	// plainBM25 is the textbook formula, summed over the fields.
	plainBM25
)

// hit is a document and its score.
type hit struct {
	doc   uint32
	score float64
}

// searcher answers queries on an index; it reuses its buffers, so one
// searcher serves one goroutine.
type searcher struct {
	ix      *index
	mode    scoring
	fields  [2][]hit
	units   [][]hit
	scratch []hit
}

// search returns the best limit documents for q: those with all its
// words, or when none has them all, those with any.
func (s *searcher) search(q string, limit int) (top []hit, total int, anyWords bool) {
	terms := queryTerms(q)
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if cap(s.units) < len(terms) {
		s.units = append(s.units[:cap(s.units)], make([][]hit, len(terms)-cap(s.units))...)
	}
	s.units = s.units[:len(terms)]
	for i, t := range terms {
		s.units[i] = s.unit(t, s.units[i][:0])
	}
	if len(s.units) == 0 {
		return nil, 0, false
	}
	res := s.intersect()
	if len(res) == 0 && len(s.units) > 1 {
		res, anyWords = s.union(), true
	}
	return topN(res, limit), len(res), anyWords
}

// unit returns the documents with term in either field, with the term's
// score, in doc order.
func (s *searcher) unit(term string, out []hit) []hit {
	p, ok := s.ix.lookup(term)
	if !ok {
		return out
	}
	for f := range 2 {
		s.fields[f] = s.decode(p[f], f, s.fields[f][:0])
	}
	a, b := s.fields[0], s.fields[1]
	half := 1.0
	if s.mode == bleveBM25 {
		half = 0.5
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].doc < b[j].doc:
			out = append(out, hit{a[i].doc, a[i].score * half})
			i++
		case i == len(a) || b[j].doc < a[i].doc:
			out = append(out, hit{b[j].doc, b[j].score * half})
			j++
		default:
			out = append(out, hit{a[i].doc, a[i].score + b[j].score})
			i, j = i+1, j+1
		}
	}
	return out
}

// decode scores one field's postings list.
func (s *searcher) decode(p postings, f int, out []hit) []hit {
	if p.df == 0 {
		return out
	}
	n, df := float64(s.ix.docs), float64(p.df)
	idf := math.Log(1 + (n-df+0.5)/(df+0.5))
	w, avg := boosts[f]*idf, s.ix.avg[f]
	if s.mode == bleveBM25 {
		w *= idf
	}
	data := p.data
	var doc uint32
	for len(data) > 0 {
		delta, k := binary.Uvarint(data)
		tf, m := binary.Uvarint(data[max(k, 0):])
		if k <= 0 || m <= 0 {
			break // damaged list: keep what was read
		}
		data = data[k+m:]
		doc += uint32(delta)
		if int(doc) >= s.ix.docs {
			break
		}
		l := float64(s.ix.fieldLen(doc, f))
		var sc float64
		if s.mode == bleveBM25 {
			// bleve keeps 1/sqrt(length) as a float32 and squares it back.
			norm := float64(float32(1 / math.Sqrt(max(l, 1))))
			t := math.Sqrt(float64(tf))
			sc = w * t * k1 / (t + k1*(1-bm25B+bm25B*(1/(norm*norm))/avg))
		} else {
			t := float64(tf)
			sc = w * t * (k1 + 1) / (t + k1*(1-bm25B+bm25B*l/avg))
		}
		out = append(out, hit{doc, sc})
	}
	return out
}

// intersect returns the documents in every unit, scores summed.
func (s *searcher) intersect() []hit {
	slices.SortFunc(s.units, func(a, b []hit) int { return len(a) - len(b) })
	res := append(s.scratch[:0], s.units[0]...)
	for _, u := range s.units[1:] {
		k, j := 0, 0
		for _, h := range res {
			for j < len(u) && u[j].doc < h.doc {
				j++
			}
			if j < len(u) && u[j].doc == h.doc {
				res[k] = hit{h.doc, h.score + u[j].score}
				k++
			}
		}
		res = res[:k]
	}
	s.scratch = res
	return res
}

// union returns the documents in any unit, scores summed; with bleve's
// scoring, scaled by the share of units matched.
func (s *searcher) union() []hit {
	res := s.scratch[:0]
	pos := make([]int, len(s.units))
	for {
		doc, found := uint32(math.MaxUint32), false
		for i, u := range s.units {
			if pos[i] < len(u) && u[pos[i]].doc <= doc {
				doc, found = u[pos[i]].doc, true
			}
		}
		if !found {
			break
		}
		var sc float64
		matched := 0
		for i, u := range s.units {
			if pos[i] < len(u) && u[pos[i]].doc == doc {
				sc += u[pos[i]].score
				matched++
				pos[i]++
			}
		}
		if s.mode == bleveBM25 {
			sc *= float64(matched) / float64(len(s.units))
		}
		res = append(res, hit{doc, sc})
	}
	s.scratch = res
	return res
}

// topN returns the n best hits, best first; ties go to the lower doc id.
func topN(hs []hit, n int) []hit {
	better := func(a, b hit) bool { return a.score > b.score || a.score == b.score && a.doc < b.doc }
	top := make([]hit, 0, n+1)
	for _, h := range hs {
		if len(top) == n && !better(h, top[n-1]) {
			continue
		}
		i := len(top)
		for i > 0 && better(h, top[i-1]) {
			i--
		}
		top = slices.Insert(top, i, h)
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}
