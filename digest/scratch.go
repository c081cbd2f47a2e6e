package digest

import "sync"

// scratch holds the buffers one summary works in: the sentence vectors,
// the similarity matrix and the dense row it is computed with. Summaries
// reuse them (Summarizer.getScratch), which spares the garbage collector
// about half of what a summary allocates.
type scratch struct {
	ids       map[string]int32 // local term ids
	weights   []float64
	counts    []int32
	touched   []int32
	termBuf   []int32
	weightBuf []float64
	sim       []float64
	dense     []float64
}

// maxScratch bounds the buffers kept for reuse (in elements): the few
// articles with thousands of sentences do not pin their n² matrix.
const maxScratch = 1 << 16

// scratchPool keeps a Summarizer's spare scratch buffers.
type scratchPool struct{ pool sync.Pool }

func (s *Summarizer) getScratch() *scratch {
	if sc, ok := s.scratch.pool.Get().(*scratch); ok {
		return sc
	}
	return &scratch{ids: make(map[string]int32, 512)}
}

func (s *Summarizer) putScratch(sc *scratch) {
	if cap(sc.sim) > maxScratch || cap(sc.dense) > maxScratch || cap(sc.termBuf) > maxScratch || len(sc.ids) > maxScratch {
		return
	}
	clear(sc.ids)
	s.scratch.pool.Put(sc)
}

// grow returns buf with length n, reusing its array when it is big
// enough (the contents are then what buf held; a new array is zero).
func grow[T any](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]T, n)
}
