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
// much cheaper. The output is the same.
//
// Terms and their stems are kept side by side in a hash table of 64-byte
// slots, so that a lookup reads one slot, and without locks: slots are
// written once, under a mutex, and published by an atomic store that
// readers load first. The table grows by doubling up to stemCacheSlots;
// then new terms that find no free slot near theirs are stemmed each time.
// Safe for concurrent use.
type stemCache struct {
	stem  analysis.TokenFilter
	seed  maphash.Seed
	table atomic.Pointer[stemTable]
	mu    sync.Mutex // held to add a term, or to grow the table
}

const (
	// stemCacheSlots bounds the table: 16 MB, for some 200,000 terms.
	stemCacheSlots = 1 << 18
	// stemProbes is how many slots from its own a term may be stored in.
	stemProbes = 8
	// stemSlotBytes is the room in a slot for a term and its stem.
	stemSlotBytes = 54
)

// stemSlot is one term and its stem. tag is 0 while the slot is free,
// else the term's hash with bit 1 set; it is stored last.
type stemSlot struct {
	tag             atomic.Uint64
	termLen, stemLn uint8
	buf             [stemSlotBytes]byte
}

type stemTable struct {
	slots []stemSlot
	used  int // slots taken; changed under stemCache.mu
}

func newStemCache(stem analysis.TokenFilter) *stemCache {
	c := &stemCache{stem: stem, seed: maphash.MakeSeed()}
	c.table.Store(&stemTable{slots: make([]stemSlot, 1<<12)})
	return c
}

func (c *stemCache) Filter(input analysis.TokenStream) analysis.TokenStream {
	var one analysis.TokenStream
	for _, t := range input {
		if t.KeyWord || len(t.Term) == 0 {
			continue
		}
		h := maphash.Bytes(c.seed, t.Term) | 2
		if s, ok := c.table.Load().lookup(h, t.Term); ok {
			t.Term = s
			continue
		}
		if one == nil {
			one = make(analysis.TokenStream, 1)
		}
		term := t.Term
		one[0] = t
		c.stem.Filter(one)
		c.add(h, term, t.Term)
	}
	return input
}

// lookup returns the stem of term, whose hash is h, if the table has it.
func (tb *stemTable) lookup(h uint64, term []byte) ([]byte, bool) {
	mask := uint64(len(tb.slots) - 1)
	for i := range uint64(stemProbes) {
		s := &tb.slots[(h+i)&mask]
		tag := s.tag.Load()
		if tag == 0 {
			return nil, false
		}
		if tag == h && int(s.termLen) == len(term) && string(s.buf[:len(term)]) == string(term) {
			end := len(term) + int(s.stemLn)
			return s.buf[len(term):end:end], true
		}
	}
	return nil, false
}

// add remembers stem as the stem of term, whose hash is h, if there is room.
func (c *stemCache) add(h uint64, term, stem []byte) {
	if len(term)+len(stem) > stemSlotBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tb := c.table.Load()
	if tb.used >= len(tb.slots)/2 && len(tb.slots) < stemCacheSlots {
		tb = tb.grown()
		c.table.Store(tb)
	}
	tb.insert(h, term, stem)
}

// insert puts term and stem in a free slot near the term's own, if any.
// Only the cache's mutex holder calls it.
func (tb *stemTable) insert(h uint64, term, stem []byte) {
	mask := uint64(len(tb.slots) - 1)
	for i := range uint64(stemProbes) {
		s := &tb.slots[(h+i)&mask]
		switch tag := s.tag.Load(); {
		case tag == h && int(s.termLen) == len(term) && string(s.buf[:len(term)]) == string(term):
			return // added meanwhile by another goroutine
		case tag != 0:
			continue
		}
		s.termLen, s.stemLn = uint8(len(term)), uint8(len(stem))
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
			n := int(s.termLen)
			g.insert(h, s.buf[:n], s.buf[n:n+int(s.stemLn)])
		}
	}
	return g
}
