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

// posting is a document that has a query word, and the word's frequency
// in each field.
type posting struct {
	doc uint32
	tf  [2]uint32
}

// unitList is one query word's documents, and its weight in each field
// (boost and idf).
type unitList struct {
	posts []posting
	w     [2]float64
}

// searcher answers queries on an index made of parts (segments of
// consecutive documents), with BM25 statistics summed over the parts, as
// one index of their documents would have them. Hits' doc ids run across
// the parts in order. It reuses its buffers: one searcher serves one
// goroutine.
type searcher struct {
	parts  []*index
	base   []uint32 // first doc id of each part
	docs   int
	avg    [2]float64
	an     *analyzer
	mode   scoring
	fields [2][]posting
	units  []unitList
	res    []hit
	top    []hit
}

func newSearcher(mode scoring, parts ...*index) *searcher {
	s := &searcher{parts: parts, mode: mode}
	var sums [2]float64
	for _, ix := range parts {
		s.base = append(s.base, uint32(s.docs))
		s.docs += ix.docs
		for f := range 2 {
			sums[f] += ix.avg[f] * float64(ix.docs)
		}
	}
	for f := range 2 {
		if s.docs > 0 {
			s.avg[f] = sums[f] / float64(s.docs)
		}
	}
	return s
}

// part returns the part holding doc id d, and d within it.
func (s *searcher) part(d uint32) (*index, uint32) {
	i := len(s.base) - 1
	for i > 0 && s.base[i] > d {
		i--
	}
	return s.parts[i], d - s.base[i]
}

// key returns doc id d's key.
func (s *searcher) key(d uint32) string {
	ix, d := s.part(d)
	return ix.key(d)
}

// search returns the best limit documents for q: those with all its
// words, or when none has them all, those with any. Postings are decoded
// whole, but scored only for the documents that qualify.
func (s *searcher) search(q string, limit int) (top []hit, total int, anyWords bool) {
	if s.an == nil || s.an.words() >= maxWords {
		s.an = newAnalyzer()
	}
	var terms []string
	s.an.analyze([]byte(q), func(id int32) { terms = append(terms, s.an.terms[id]) })
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if len(terms) == 0 {
		return nil, 0, false
	}
	w := s.weights(terms)
	for _, anyMode := range []bool{false, true} {
		if anyMode && (total > 0 || len(terms) < 2) {
			break
		}
		s.top = s.top[:0]
		for i, ix := range s.parts {
			res := s.searchPart(ix, terms, w, anyMode)
			total += len(res)
			for _, h := range topN(res, limit) {
				s.top = append(s.top, hit{h.doc + s.base[i], h.score})
			}
		}
		anyWords = anyMode
	}
	return topN(s.top, limit), total, anyWords
}

// weights returns each term's weight in each field: boost and idf over
// all the parts.
func (s *searcher) weights(terms []string) [][2]float64 {
	w := make([][2]float64, len(terms))
	n := float64(s.docs)
	for i, t := range terms {
		var df [2]float64
		for _, ix := range s.parts {
			if p, ok := ix.lookup(t); ok {
				df[0], df[1] = df[0]+float64(p[0].df), df[1]+float64(p[1].df)
			}
		}
		for f := range 2 {
			idf := math.Log(1 + (n-df[f]+0.5)/(df[f]+0.5))
			w[i][f] = boosts[f] * idf
			if s.mode == bleveBM25 {
				w[i][f] *= idf
			}
		}
	}
	return w
}

// searchPart returns the documents of one part with all the terms, or
// with any.
func (s *searcher) searchPart(ix *index, terms []string, w [][2]float64, anyMode bool) []hit {
	for len(s.units) < len(terms) {
		s.units = append(s.units, unitList{})
	}
	s.units = s.units[:len(terms)]
	for i, t := range terms {
		s.units[i] = s.unit(ix, t, s.units[i].posts[:0])
		s.units[i].w = w[i]
	}
	if anyMode {
		return s.union(ix)
	}
	return s.intersect(ix)
}

// unit returns the documents with term in either field, in doc order.
func (s *searcher) unit(ix *index, term string, out []posting) unitList {
	p, ok := ix.lookup(term)
	if !ok {
		return unitList{posts: out}
	}
	for f := range 2 {
		s.fields[f] = decode(p[f], f, ix.docs, ix.positions, s.fields[f][:0])
	}
	a, b := s.fields[0], s.fields[1]
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].doc < b[j].doc:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].doc < a[i].doc:
			out = append(out, b[j])
			j++
		default:
			out = append(out, posting{a[i].doc, [2]uint32{a[i].tf[0], b[j].tf[1]}})
			i, j = i+1, j+1
		}
	}
	return unitList{posts: out}
}

// decode reads one field's postings list, skipping positions.
func decode(p postings, f, docs int, positions bool, out []posting) []posting {
	data := p.data
	var doc uint32
	for len(data) > 0 {
		delta, k := binary.Uvarint(data)
		tf, m := binary.Uvarint(data[max(k, 0):])
		if k <= 0 || m <= 0 {
			break // damaged list: keep what was read
		}
		data = data[k+m:]
		if positions {
			if data = skipUvarints(data, tf); data == nil {
				break
			}
		}
		if delta == 0 && len(out) > 0 || delta >= uint64(docs) {
			break // doc ids must rise
		}
		doc += uint32(delta)
		if int(doc) >= docs {
			break
		}
		var pt posting
		pt.doc, pt.tf[f] = doc, uint32(tf)
		out = append(out, pt)
	}
	return out
}

// skipUvarints returns data after n uvarints, or nil when it holds fewer.
func skipUvarints(data []byte, n uint64) []byte {
	for ; n > 0; n-- {
		_, k := binary.Uvarint(data)
		if k <= 0 {
			return nil
		}
		data = data[k:]
	}
	return data
}

// score is unit u's score for posting p.
func (s *searcher) score(ix *index, u *unitList, p posting) float64 {
	var sc float64
	found := 0
	for f := range 2 {
		if p.tf[f] == 0 {
			continue
		}
		found++
		l, avg := float64(ix.fieldLen(p.doc, f)), s.avg[f]
		if s.mode == bleveBM25 {
			// bleve keeps 1/sqrt(length) as a float32 and squares it back.
			norm := float64(float32(1 / math.Sqrt(max(l, 1))))
			t := math.Sqrt(float64(p.tf[f]))
			sc += u.w[f] * t * k1 / (t + k1*(1-bm25B+bm25B*(1/(norm*norm))/avg))
		} else {
			t := float64(p.tf[f])
			sc += u.w[f] * t * (k1 + 1) / (t + k1*(1-bm25B+bm25B*l/avg))
		}
	}
	if s.mode == bleveBM25 && found == 1 {
		sc /= 2 // the word matched one of the two fields
	}
	return sc
}

// intersect returns the documents in every unit, scores summed.
func (s *searcher) intersect(ix *index) []hit {
	slices.SortFunc(s.units, func(a, b unitList) int { return len(a.posts) - len(b.posts) })
	res := s.res[:0]
	for _, p := range s.units[0].posts {
		res = append(res, hit{doc: p.doc})
	}
	for _, u := range s.units[1:] {
		k, j := 0, 0
		for _, h := range res {
			for j < len(u.posts) && u.posts[j].doc < h.doc {
				j++
			}
			if j < len(u.posts) && u.posts[j].doc == h.doc {
				res[k] = h
				k++
			}
		}
		res = res[:k]
	}
	for i := range s.units {
		u := &s.units[i]
		j := 0
		for r := range res {
			for u.posts[j].doc < res[r].doc {
				j++
			}
			res[r].score += s.score(ix, u, u.posts[j])
		}
	}
	s.res = res
	return res
}

// union returns the documents in any unit, scores summed; with bleve's
// scoring, scaled by the share of units matched.
func (s *searcher) union(ix *index) []hit {
	res := s.res[:0]
	pos := make([]int, len(s.units))
	for {
		doc, found := uint32(math.MaxUint32), false
		for i, u := range s.units {
			if pos[i] < len(u.posts) && u.posts[pos[i]].doc <= doc {
				doc, found = u.posts[pos[i]].doc, true
			}
		}
		if !found {
			break
		}
		var sc float64
		matched := 0
		for i := range s.units {
			u := &s.units[i]
			if pos[i] < len(u.posts) && u.posts[pos[i]].doc == doc {
				sc += s.score(ix, u, u.posts[pos[i]])
				matched++
				pos[i]++
			}
		}
		if s.mode == bleveBM25 {
			sc *= float64(matched) / float64(len(s.units))
		}
		res = append(res, hit{doc, sc})
	}
	s.res = res
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
