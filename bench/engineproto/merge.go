package main

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Index file layout (all integers little-endian):
//
//	header   magic "DBIX0001", docs u32, terms u32, title and body length
//	         sums u64, then the offsets of the sections below and the end
//	title    postings lists of the title field, term by term
//	body     postings lists of the body field
//	dict     terms entries, sorted by term, dictEntry bytes each:
//	         termOff u32, termLen u32, then per field df u32, off u64
//	         (from the field's section), size u32
//	terms    the terms' bytes
//	lens     per doc: title length u32, body length u32
//	keys     the docs' keys, concatenated
//	keyOffs  docs+1 u32 offsets into keys
//
// A postings list is uvarint pairs: doc id delta (the first from 0), term
// frequency.
const (
	magic = "DBIX0001"
	// magicPositions marks postings with positions after each frequency.
	magicPositions = "DBIXP001"
	headerSize     = 32 + 8*8
	dictEntry      = 8 + 2*16
)

// Sections, in file order after the header.
const (
	secTitle = iota
	secBody
	secDict
	secTerms
	secLens
	secKeys
	secKeyOffs
	secEnd
)

// section is a temporary file one part of the index is written to.
type section struct {
	f *os.File
	w *bufio.Writer
	n int64
}

func (s *section) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

func newSection(dir string) (*section, error) {
	f, err := os.CreateTemp(dir, "section-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return &section{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// segHeap orders open segments by their current term, then by base.
type segHeap []*segReader

func (h segHeap) Len() int { return len(h) }
func (h segHeap) Less(i, j int) bool {
	if h[i].term != h[j].term {
		return h[i].term < h[j].term
	}
	return h[i].base < h[j].base
}
func (h segHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *segHeap) Push(x any)   { *h = append(*h, x.(*segReader)) }
func (h *segHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge merges the segment files, given in doc id order, into the index
// file at out. Memory: one read buffer per segment and one write buffer
// per section.
func merge(segPaths []string, out, tmpDir string, positions bool) error {
	segs := make([]*segReader, 0, len(segPaths))
	defer func() {
		for _, s := range segs {
			s.Close()
		}
	}()
	for _, p := range segPaths {
		s, err := openSegment(p)
		if err != nil {
			return err
		}
		segs = append(segs, s)
	}
	var secs [secEnd]*section
	for i := range secs {
		s, err := newSection(tmpDir)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		defer s.f.Close()
		secs[i] = s
	}
	var docs uint32
	var sums [2]uint64
	var u32 [4]byte
	le := binary.LittleEndian
	for _, s := range segs {
		if s.base != docs {
			return fmt.Errorf("index: segment at doc %d follows doc %d", s.base, docs)
		}
		err := s.eachDoc(func(tl, bl uint32, key []byte) error {
			secs[secLens].Write(le.AppendUint32(le.AppendUint32(u32[:0], tl), bl))
			secs[secKeyOffs].Write(le.AppendUint32(u32[:0], uint32(secs[secKeys].n)))
			secs[secKeys].Write(key)
			sums[0] += uint64(tl)
			sums[1] += uint64(bl)
			docs++
			return nil
		})
		if err != nil {
			return err
		}
	}
	secs[secKeyOffs].Write(le.AppendUint32(u32[:0], uint32(secs[secKeys].n)))
	terms, err := mergeTerms(segs, &secs)
	if err != nil {
		return err
	}
	m := magic
	if positions {
		m = magicPositions
	}
	return assemble(out, m, &secs, docs, terms, sums)
}

// mergeTerms merges the segments' terms into the postings, dict and terms
// sections and returns the number of terms.
func mergeTerms(segs []*segReader, secs *[secEnd]*section) (uint32, error) {
	h := make(segHeap, 0, len(segs))
	for _, s := range segs {
		ok, err := s.next()
		if err != nil {
			return 0, err
		}
		if ok {
			h = append(h, s)
		}
	}
	heap.Init(&h)
	var n uint32
	var same []*segReader
	var entry [dictEntry]byte
	le := binary.LittleEndian
	for len(h) > 0 {
		term := h[0].term
		same = same[:0]
		for len(h) > 0 && h[0].term == term {
			same = append(same, heap.Pop(&h).(*segReader))
		}
		le.PutUint32(entry[0:], uint32(secs[secTerms].n))
		le.PutUint32(entry[4:], uint32(len(term)))
		secs[secTerms].Write([]byte(term))
		var df, prev [2]uint32
		var start [2]int64
		for f := range 2 {
			start[f] = secs[secTitle+f].n
		}
		for _, s := range same {
			for f := range 2 {
				if err := s.copyPostings(f, secs[secTitle+f], prev[f]); err != nil {
					return 0, err
				}
				if s.df[f] > 0 {
					df[f] += s.df[f]
					prev[f] = s.last[f]
				}
			}
		}
		for f := range 2 {
			o := 8 + 16*f
			le.PutUint32(entry[o:], df[f])
			le.PutUint64(entry[o+4:], uint64(start[f]))
			le.PutUint32(entry[o+12:], uint32(secs[secTitle+f].n-start[f]))
		}
		secs[secDict].Write(entry[:])
		n++
		for _, s := range same {
			ok, err := s.next()
			if err != nil {
				return 0, err
			}
			if ok {
				heap.Push(&h, s)
			}
		}
	}
	return n, nil
}

// assemble writes the header and the sections into the index file.
func assemble(out, magic string, secs *[secEnd]*section, docs, terms uint32, sums [2]uint64) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	defer f.Close()
	hdr := make([]byte, 0, headerSize)
	hdr = append(hdr, magic...)
	le := binary.LittleEndian
	hdr = le.AppendUint32(hdr, docs)
	hdr = le.AppendUint32(hdr, terms)
	hdr = le.AppendUint64(hdr, sums[0])
	hdr = le.AppendUint64(hdr, sums[1])
	off := int64(headerSize)
	for _, s := range secs {
		hdr = le.AppendUint64(hdr, uint64(off))
		off += s.n
	}
	hdr = le.AppendUint64(hdr, uint64(off))
	if _, err := f.Write(hdr); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	for _, s := range secs {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if _, err := io.Copy(f, s.f); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return f.Close()
}
