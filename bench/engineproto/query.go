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

// searcher answers queries on an index; it reuses its buffers, so one
// searcher serves one goroutine.
type searcher struct {
	ix     *index
	an     *analyzer
	mode   scoring
	fields [2][]posting
	units  []unitList
	res    []hit
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
	for len(s.units) < len(terms) {
		s.units = append(s.units, unitList{})
	}
	s.units = s.units[:len(terms)]
	for i, t := range terms {
		s.units[i] = s.unit(t, s.units[i].posts[:0])
	}
	res := s.intersect()
	if len(res) == 0 && len(s.units) > 1 {
		res, anyWords = s.union(), true
	}
	return topN(res, limit), len(res), anyWords
}

// unit returns the documents with term in either field, in doc order.
func (s *searcher) unit(term string, out []posting) unitList {
	p, ok := s.ix.lookup(term)
	if !ok {
		return unitList{posts: out}
	}
	var u unitList
	n := float64(s.ix.docs)
	for f := range 2 {
		s.fields[f] = decode(p[f], f, s.ix.docs, s.fields[f][:0])
		df := float64(p[f].df)
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		u.w[f] = boosts[f] * idf
		if s.mode == bleveBM25 {
			u.w[f] *= idf
		}
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
	u.posts = out
	return u
}

// decode reads one field's postings list.
func decode(p postings, f, docs int, out []posting) []posting {
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
		if int(doc) >= docs {
			break
		}
		var pt posting
		pt.doc, pt.tf[f] = doc, uint32(tf)
		out = append(out, pt)
	}
	return out
}

// score is unit u's score for posting p.
func (s *searcher) score(u *unitList, p posting) float64 {
	var sc float64
	found := 0
	for f := range 2 {
		if p.tf[f] == 0 {
			continue
		}
		found++
		l, avg := float64(s.ix.fieldLen(p.doc, f)), s.ix.avg[f]
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
func (s *searcher) intersect() []hit {
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
			res[r].score += s.score(u, u.posts[j])
		}
	}
	s.res = res
	return res
}

// union returns the documents in any unit, scores summed; with bleve's
// scoring, scaled by the share of units matched.
func (s *searcher) union() []hit {
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
				sc += s.score(u, u.posts[pos[i]])
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
