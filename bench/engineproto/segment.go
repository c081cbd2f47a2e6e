package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"
)

// doc is one document to index: its key (what a hit names) and its two
// fields.
type doc struct {
	key         string
	title, body []byte
}

// segBuilder builds the inverted index of one batch of documents in
// memory and writes it as a segment file. Terms get batch-local ids, so
// its arrays are sized by the batch's vocabulary; its analyzer's word
// cache lives from batch to batch up to maxWords words. Its memory is
// bounded by the batch size, not by the corpus or its vocabulary.
type segBuilder struct {
	an       *analyzer
	maxWords int
	// positions, when set, follow each term frequency: uvarint deltas of
	// the term's positions in the field (among its indexed terms).
	positions bool
	pos       [][]uint32 // positions of each local term in the current field
	// gen numbers the batches; stamp[t] == gen when the analyzer's term
	// t has the local id local[t] in this batch.
	gen          uint32
	stamp        []uint32
	local, terms []int32 // analyzer term → local id; local id → analyzer term
	// post[f][l] is local term l's postings in field f for this batch:
	// uvarint doc-id delta, uvarint term frequency. The first delta is
	// from 0, so it is the absolute doc id.
	post    [2][][]byte
	last    [2][]uint32 // last doc id appended per local term
	df      [2][]uint32
	tf      []uint32 // frequencies within the current field
	touched []int32
	lens    []uint32 // title, body length of each doc of the batch
	keys    []string
	base    uint32
}

func newSegBuilder(maxWords int, positions bool) *segBuilder {
	return &segBuilder{an: newAnalyzer(), maxWords: maxWords, positions: positions, gen: 1}
}

// localID returns the batch-local id of the analyzer's term t.
func (b *segBuilder) localID(t int32) int32 {
	for int(t) >= len(b.stamp) {
		b.stamp = append(b.stamp, 0)
		b.local = append(b.local, 0)
	}
	if b.stamp[t] == b.gen {
		return b.local[t]
	}
	l := int32(len(b.terms))
	b.stamp[t], b.local[t] = b.gen, l
	b.terms = append(b.terms, t)
	if int(l) >= len(b.tf) {
		b.tf = append(b.tf, 0)
		for f := range b.post {
			b.post[f] = append(b.post[f], nil)
			b.last[f] = append(b.last[f], 0)
			b.df[f] = append(b.df[f], 0)
		}
	}
	return l
}

// add indexes d as doc id.
func (b *segBuilder) add(id uint32, d doc) {
	b.keys = append(b.keys, d.key)
	for f, text := range [2][]byte{d.title, d.body} {
		n := uint32(0)
		b.an.analyze(text, func(t int32) {
			l := b.localID(t)
			if b.tf[l] == 0 {
				b.touched = append(b.touched, l)
			}
			b.tf[l]++
			if b.positions {
				for int(l) >= len(b.pos) {
					b.pos = append(b.pos, nil)
				}
				b.pos[l] = append(b.pos[l], n)
			}
			n++
		})
		for _, l := range b.touched {
			p := b.post[f][l]
			p = binary.AppendUvarint(p, uint64(id-b.last[f][l]))
			p = binary.AppendUvarint(p, uint64(b.tf[l]))
			if b.positions {
				prev := uint32(0)
				for _, at := range b.pos[l] {
					p = binary.AppendUvarint(p, uint64(at-prev))
					prev = at
				}
				b.pos[l] = b.pos[l][:0]
			}
			b.post[f][l] = p
			b.last[f][l] = id
			b.df[f][l]++
			b.tf[l] = 0
		}
		b.touched = b.touched[:0]
		b.lens = append(b.lens, n)
	}
}

// reset readies the builder for the next batch.
func (b *segBuilder) reset() {
	for l := range b.terms {
		for f := range b.post {
			if cap(b.post[f][l]) > 1<<16 {
				b.post[f][l] = nil // a rare long list: do not keep its memory
			}
			b.post[f][l] = b.post[f][l][:0]
			b.df[f][l], b.last[f][l] = 0, 0
		}
	}
	b.terms = b.terms[:0]
	b.keys, b.lens = b.keys[:0], b.lens[:0]
	b.gen++
	if b.an.words() >= b.maxWords {
		b.an = newAnalyzer()
		b.stamp, b.local = nil, nil
	}
}

// Segment file: a header, the documents, then the terms in order, each
// with its two fields' postings.
//
//	header   "SEG1" base:u32 docs:u32 terms:u32
//	docs     per doc: titleLen, bodyLen, keyLen uvarints, key bytes
//	terms    per term: len uvarint, term; per field: df, last, bytes
//	         uvarints, then the postings bytes
const segHeader = 16

// write writes the batch to path and resets the builder for the next.
func (b *segBuilder) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var hdr [segHeader]byte
	w.Write(hdr[:])
	var tmp []byte
	for i, key := range b.keys {
		tmp = binary.AppendUvarint(tmp[:0], uint64(b.lens[2*i]))
		tmp = binary.AppendUvarint(tmp, uint64(b.lens[2*i+1]))
		tmp = binary.AppendUvarint(tmp, uint64(len(key)))
		w.Write(tmp)
		w.WriteString(key)
	}
	ids := make([]int32, len(b.terms))
	for l := range ids {
		ids[l] = int32(l)
	}
	name := func(l int32) string { return b.an.terms[b.terms[l]] }
	sort.Slice(ids, func(i, j int) bool { return name(ids[i]) < name(ids[j]) })
	for _, t := range ids {
		tmp = binary.AppendUvarint(tmp[:0], uint64(len(name(t))))
		tmp = append(tmp, name(t)...)
		for fl := range b.post {
			tmp = binary.AppendUvarint(tmp, uint64(b.df[fl][t]))
			tmp = binary.AppendUvarint(tmp, uint64(b.last[fl][t]))
			tmp = binary.AppendUvarint(tmp, uint64(len(b.post[fl][t])))
		}
		w.Write(tmp)
		for fl := range b.post {
			w.Write(b.post[fl][t])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("segment: %w", err)
	}
	copy(hdr[:], "SEG1")
	binary.LittleEndian.PutUint32(hdr[4:], b.base)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(b.keys)))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(len(ids)))
	if _, err := f.WriteAt(hdr[:], 0); err != nil {
		f.Close()
		return fmt.Errorf("segment: %w", err)
	}
	b.reset()
	return f.Close()
}

// segReader reads a segment file front to back.
type segReader struct {
	f           *os.File
	r           *bufio.Reader
	base, docs  uint32
	terms, read uint32
	// The current term, after next.
	term string
	df   [2]uint32
	last [2]uint32
	size [2]uint64
}

func openSegment(path string) (*segReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	s := &segReader{f: f, r: bufio.NewReaderSize(f, 1<<16)}
	var hdr [segHeader]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil || string(hdr[:4]) != "SEG1" {
		f.Close()
		return nil, fmt.Errorf("segment %s: bad header", path)
	}
	s.base = binary.LittleEndian.Uint32(hdr[4:])
	s.docs = binary.LittleEndian.Uint32(hdr[8:])
	s.terms = binary.LittleEndian.Uint32(hdr[12:])
	return s, nil
}

// eachDoc reads the documents section.
func (s *segReader) eachDoc(fn func(titleLen, bodyLen uint32, key []byte) error) error {
	var key []byte
	for i := uint32(0); i < s.docs; i++ {
		tl, err1 := binary.ReadUvarint(s.r)
		bl, err2 := binary.ReadUvarint(s.r)
		kl, err3 := binary.ReadUvarint(s.r)
		if err1 != nil || err2 != nil || err3 != nil || kl > 1<<16 {
			return fmt.Errorf("segment: bad document %d", i)
		}
		if cap(key) < int(kl) {
			key = make([]byte, kl)
		}
		key = key[:kl]
		if _, err := io.ReadFull(s.r, key); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		if err := fn(uint32(tl), uint32(bl), key); err != nil {
			return err
		}
	}
	return nil
}

// next reads the next term's header; false at the end. The caller must
// consume the postings (copyPostings) before calling next again.
func (s *segReader) next() (bool, error) {
	if s.read == s.terms {
		return false, nil
	}
	s.read++
	n, err := binary.ReadUvarint(s.r)
	if err != nil || n > 1<<16 {
		return false, fmt.Errorf("segment: bad term")
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(s.r, buf); err != nil {
		return false, fmt.Errorf("segment: %w", err)
	}
	s.term = string(buf)
	for f := range s.df {
		df, err1 := binary.ReadUvarint(s.r)
		last, err2 := binary.ReadUvarint(s.r)
		size, err3 := binary.ReadUvarint(s.r)
		if err1 != nil || err2 != nil || err3 != nil {
			return false, fmt.Errorf("segment: bad term %q", s.term)
		}
		s.df[f], s.last[f], s.size[f] = uint32(df), uint32(last), size
	}
	return true, nil
}

// copyPostings writes field f's postings of the current term to w, the
// first doc id re-encoded as a delta from prev, the last doc id of this
// term and field in the segments before. The fields must be copied in
// order.
func (s *segReader) copyPostings(f int, w io.Writer, prev uint32) error {
	size := s.size[f]
	if size == 0 {
		return nil
	}
	first, err := binary.ReadUvarint(s.r)
	if err != nil || uint32(first) < prev {
		return fmt.Errorf("segment: bad postings of %q", s.term)
	}
	var tmp [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(tmp[:], first)
	m := binary.PutUvarint(tmp[:], first-uint64(prev))
	if _, err := w.Write(tmp[:m]); err != nil {
		return err
	}
	_, err = io.CopyN(w, s.r, int64(size)-int64(n))
	return err
}

func (s *segReader) Close() error { return s.f.Close() }
