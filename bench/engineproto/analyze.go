package main

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"

	"github.com/digestbot/digestbot/search"
)

// stopWords are search's stop words (Lucene's classic English list).
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
	"was": true, "will": true, "with": true,
}

// analyzer turns text into term ids: the terms search.Terms makes, with a
// fast path for ASCII text (UAX #29 word rules restricted to ASCII, lower
// case, possessive 's dropped, stop words dropped, Snowball English stem)
// and search.Terms itself for anything else. It remembers each surface
// word's term, so each distinct word is stemmed once. Not safe for
// concurrent use: each builder has its own.
type analyzer struct {
	surface wordTable        // lower-cased word → term id, or -1 for a stop word
	ids     map[string]int32 // term → id
	terms   []string         // id → term
	buf     []byte
}

// stemmer is bleve's Snowball English stemmer, the one search uses.
var stemmer = en.NewEnglishStemmerFilter()

// maxWords is how many distinct words an analyzer remembers, by default,
// before its owner replaces it (at a batch boundary): a bound on its
// memory when the vocabulary keeps growing (names, numbers).
const maxWords = 1 << 17

// words is how many distinct words the analyzer remembers.
func (a *analyzer) words() int { return a.surface.n }

func newAnalyzer() *analyzer {
	return &analyzer{surface: newWordTable(), ids: map[string]int32{}}
}

// id returns the id of term, adding it when new.
func (a *analyzer) id(term string) int32 {
	if id, ok := a.ids[term]; ok {
		return id
	}
	id := int32(len(a.terms))
	a.ids[term] = id
	a.terms = append(a.terms, term)
	return id
}

// analyze calls emit with the term id of each term of text, in order.
func (a *analyzer) analyze(text []byte, emit func(int32)) {
	for _, c := range text {
		if c >= 0x80 {
			for _, t := range search.Terms(string(text)) {
				emit(a.id(t))
			}
			return
		}
	}
	n := len(text)
	for i := 0; i < n; {
		if class(text[i]) == 0 {
			i++
			continue
		}
		start, j := i, i
		for {
			for j < n && class(text[j]) != 0 {
				j++
			}
			if j+1 < n && j > start && joins(text[j-1], text[j], text[j+1]) {
				j++
				continue
			}
			break
		}
		a.word(text[start:j], emit)
		i = j
	}
}

// Character classes of the ASCII fast path.
const (
	other  = 0
	letter = 1
	digit  = 2
	under  = 3 // '_' joins anything (ExtendNumLet)
)

var classes = func() (t [128]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = letter, letter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = digit
	}
	t['_'] = under
	return t
}()

func class(c byte) byte { return classes[c&0x7f] }

// joins reports whether mid keeps prev and next in one word: letters
// across ' . : (MidLetter, MidNumLet), digits across , . ; ' (MidNum).
func joins(prev, mid, next byte) bool {
	p, q := class(prev), class(next)
	switch {
	case p == letter && q == letter:
		return mid == '\'' || mid == '.' || mid == ':'
	case p == digit && q == digit:
		return mid == ',' || mid == '.' || mid == ';' || mid == '\''
	}
	return false
}

// word analyses one ASCII word.
func (a *analyzer) word(w []byte, emit func(int32)) {
	b := a.buf[:0]
	for _, c := range w {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if n := len(b); n >= 2 && b[n-1] == 's' && b[n-2] == '\'' {
		b = b[:n-2]
	}
	a.buf = b
	if len(b) == 0 {
		return
	}
	h := hashBytes(b)
	id, ok := a.surface.get(h, b)
	if !ok {
		s := string(b)
		id = -1
		if !stopWords[s] {
			tok := analysis.TokenStream{{Term: []byte(s)}}
			stemmer.Filter(tok)
			id = a.id(string(tok[0].Term))
		}
		a.surface.put(h, b, id)
	}
	if id >= 0 {
		emit(id)
	}
}

// wordTable maps words to term ids: open addressing, linear probing,
// the words in one arena. In the indexing loop it costs a third of a Go
// map lookup with a string key: one short hash, one compare.
type wordTable struct {
	slots []wordSlot // a power of two
	arena []byte
	n     int
}

type wordSlot struct {
	hash, off uint32
	len       uint32 // 0: empty
	id        int32
}

func newWordTable() wordTable { return wordTable{slots: make([]wordSlot, 1<<12)} }

// hashBytes is FNV-1a, 32 bits.
func hashBytes(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

func (t *wordTable) get(h uint32, w []byte) (int32, bool) {
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.len == 0 {
			return 0, false
		}
		if s.hash == h && string(t.arena[s.off:s.off+s.len]) == string(w) {
			return s.id, true
		}
	}
}

// put adds w, which get did not find.
func (t *wordTable) put(h uint32, w []byte, id int32) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]wordSlot, 2*len(old))
		for _, s := range old {
			if s.len > 0 {
				t.insert(s)
			}
		}
	}
	t.insert(wordSlot{hash: h, off: uint32(len(t.arena)), len: uint32(len(w)), id: id})
	t.arena = append(t.arena, w...)
	t.n++
}

func (t *wordTable) insert(s wordSlot) {
	mask := uint32(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].len != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// analyzeTerms returns the analyzer's terms of text.
func analyzeTerms(text string) []string {
	a := newAnalyzer()
	var out []string
	a.analyze([]byte(text), func(id int32) { out = append(out, a.terms[id]) })
	return out
}
