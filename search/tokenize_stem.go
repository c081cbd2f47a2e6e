package search

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
)

// stemCache is a token filter that remembers another's output (the
// stemmer's) for each term it has seen. Stemming is the costliest step of
// analysis, and news text repeats its words: with the cache, indexing is
// much cheaper. The output is the same. It can stand for a stop word
// filter followed by the stemmer too, remembering which terms are stop
// words, so that a term is looked up once.
//
// Terms and their stems are kept side by side in a hash table of 64-byte
// slots, so that a lookup reads one slot, and without locks: slots are
// written once, under a mutex, and published by an atomic store that
// readers load first. The table grows by doubling up to its bound; then
// new terms that find no free slot near theirs are stemmed each time.
// Safe for concurrent use.
type stemCache struct {
	stem analysis.TokenFilter
	// stop, when not nil, is the stop word filter that comes before stem.
	stop  analysis.TokenFilter
	seed  maphash.Seed
	table atomic.Pointer[stemTable]
	mu    sync.Mutex // held to add a term, or to grow the table
	// maxSlots bounds the table's growth (a power of 2).
	maxSlots int
}

const (
	// stemCacheSlots bounds the table of an index's analyzer: 16 MB, for
	// some 200,000 terms.
	stemCacheSlots = 1 << 18
	// stemProbes is how many slots from its own a term may be stored in.
	stemProbes = 8
	// stemSlotBytes is the room in a slot for a term and its stem.
	stemSlotBytes = 54
	// stopWord is the stem length of a stop word's slot.
	stopWord = 0xff
)

// stemSlot is one term and its stem, or stemLn stopWord. tag is 0 while the
// slot is free, else the term's hash with bit 1 set; it is stored last.
type stemSlot struct {
	tag             atomic.Uint64
	termLen, stemLn uint8
	buf             [stemSlotBytes]byte
}

type stemTable struct {
	slots []stemSlot
	used  int // slots taken; changed under stemCache.mu
}

// newStemCacheSized returns a cache whose table grows to at most maxSlots
// slots (a power of 2) of 64 bytes.
func newStemCacheSized(stem analysis.TokenFilter, maxSlots int) *stemCache {
	c := &stemCache{stem: stem, seed: maphash.MakeSeed(), maxSlots: maxSlots}
	c.table.Store(&stemTable{slots: make([]stemSlot, min(1<<12, maxSlots))})
	return c
}

func (c *stemCache) Filter(input analysis.TokenStream) analysis.TokenStream {
	var one analysis.TokenStream
	out := input[:0]
	for _, t := range input {
		if one == nil {
			one = make(analysis.TokenStream, 1)
		}
		if t.KeyWord || len(t.Term) == 0 {
			// Not stemmed, and not worth a slot.
			if c.stop == nil || !c.isStop(one, t) {
				out = append(out, t)
			}
			continue
		}
		h := maphash.Bytes(c.seed, t.Term) | 2
		if s, ok := c.table.Load().lookup(h, t.Term); ok {
			if s != nil {
				t.Term = s
				out = append(out, t)
			}
			continue
		}
		term := t.Term
		if c.stop != nil && c.isStop(one, t) {
			c.add(h, term, nil)
			continue
		}
		one[0] = t
		c.stem.Filter(one)
		c.add(h, term, t.Term)
		out = append(out, t)
	}
	return out
}

// isStop reports whether the stop word filter drops t; one is a stream of
// one token to use.
func (c *stemCache) isStop(one analysis.TokenStream, t *analysis.Token) bool {
	one[0] = t
	return len(c.stop.Filter(one)) == 0
}

// lookup returns the stem of term, whose hash is h, if the table has it:
// nil for a stop word.
func (tb *stemTable) lookup(h uint64, term []byte) ([]byte, bool) {
	mask := uint64(len(tb.slots) - 1)
	for i := range uint64(stemProbes) {
		s := &tb.slots[(h+i)&mask]
		tag := s.tag.Load()
		if tag == 0 {
			return nil, false
		}
		if tag == h && int(s.termLen) == len(term) && string(s.buf[:len(term)]) == string(term) {
			if s.stemLn == stopWord {
				return nil, true
			}
			end := len(term) + int(s.stemLn)
			return s.buf[len(term):end:end], true
		}
	}
	return nil, false
}

// add remembers stem as the stem of term, whose hash is h, if there is
// room; a nil stem marks a stop word.
func (c *stemCache) add(h uint64, term, stem []byte) {
	if len(term)+len(stem) > stemSlotBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tb := c.table.Load()
	if tb.used >= len(tb.slots)/2 && len(tb.slots) < c.maxSlots {
		tb = tb.grown()
		c.table.Store(tb)
	}
	stemLn := len(stem)
	if stem == nil {
		stemLn = stopWord
	}
	tb.insert(h, term, stem, stemLn)
}

// insert puts term and stem, of length stemLn (or stopWord), in a free
// slot near the term's own, if any. Only the cache's mutex holder calls it.
func (tb *stemTable) insert(h uint64, term, stem []byte, stemLn int) {
	mask := uint64(len(tb.slots) - 1)
	for i := range uint64(stemProbes) {
		s := &tb.slots[(h+i)&mask]
		switch tag := s.tag.Load(); {
		case tag == h && int(s.termLen) == len(term) && string(s.buf[:len(term)]) == string(term):
			return // added meanwhile by another goroutine
		case tag != 0:
			continue
		}
		s.termLen, s.stemLn = uint8(len(term)), uint8(stemLn)
		n := copy(s.buf[:], term)
		copy(s.buf[n:], stem)
		s.tag.Store(h) // publishes the slot
		tb.used++
		return
	}
}

// grown returns a copy of tb with twice the slots.
func (tb *stemTable) grown() *stemTable {
	g := &stemTable{slots: make([]stemSlot, 2*len(tb.slots))}
	for i := range tb.slots {
		s := &tb.slots[i]
		if h := s.tag.Load(); h != 0 {
			n, m := int(s.termLen), int(s.stemLn)
			if m == stopWord {
				m = 0
			}
			g.insert(h, s.buf[:n], s.buf[n:n+m], int(s.stemLn))
		}
	}
	return g
}
