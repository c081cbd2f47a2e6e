package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"syscall"
)

// index is an open index file, mapped into memory.
type index struct {
	data       []byte
	docs       int
	terms      int
	avg        [2]float64 // average field lengths
	positions  bool       // postings hold positions
	off        [secEnd + 1]int
	dict, lens []byte
}

func openIndex(path string) (*index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < headerSize {
		return nil, fmt.Errorf("index %s: too short", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	ix := &index{data: data}
	if err := ix.parseHeader(); err != nil {
		ix.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return ix, nil
}

func (ix *index) parseHeader() error {
	d, le := ix.data, binary.LittleEndian
	switch string(d[:8]) {
	case magic:
	case magicPositions:
		ix.positions = true
	default:
		return fmt.Errorf("not an index file")
	}
	ix.docs, ix.terms = int(le.Uint32(d[8:])), int(le.Uint32(d[12:]))
	for f := range 2 {
		if ix.docs > 0 {
			ix.avg[f] = float64(le.Uint64(d[16+8*f:])) / float64(ix.docs)
		}
	}
	prev := headerSize
	for i := range ix.off {
		o := le.Uint64(d[32+8*i:])
		if o < uint64(prev) || o > uint64(len(d)) {
			return fmt.Errorf("section %d out of bounds", i)
		}
		ix.off[i], prev = int(o), int(o)
	}
	ix.dict = d[ix.off[secDict]:ix.off[secTerms]]
	ix.lens = d[ix.off[secLens]:ix.off[secKeys]]
	if len(ix.dict) != ix.terms*dictEntry || len(ix.lens) != ix.docs*8 ||
		ix.off[secEnd]-ix.off[secKeyOffs] != 4*(ix.docs+1) {
		return fmt.Errorf("sections do not match the counts")
	}
	return nil
}

func (ix *index) Close() error { return syscall.Munmap(ix.data) }

// termAt returns the i-th term of the dictionary.
func (ix *index) termAt(i int) []byte {
	e := ix.dict[i*dictEntry:]
	o, n := int(binary.LittleEndian.Uint32(e)), int(binary.LittleEndian.Uint32(e[4:]))
	terms := ix.data[ix.off[secTerms]:ix.off[secLens]]
	if o+n > len(terms) {
		return nil
	}
	return terms[o : o+n]
}

// postings is one term's list in one field.
type postings struct {
	df   int
	data []byte
}

// lookup returns term's postings in both fields; ok is false when the
// term is not indexed.
func (ix *index) lookup(term string) (p [2]postings, ok bool) {
	t := []byte(term)
	i := sort.Search(ix.terms, func(i int) bool { return bytes.Compare(ix.termAt(i), t) >= 0 })
	if i == ix.terms || !bytes.Equal(ix.termAt(i), t) {
		return p, false
	}
	e, le := ix.dict[i*dictEntry:], binary.LittleEndian
	for f := range 2 {
		o := 8 + 16*f
		df, off, size := le.Uint32(e[o:]), int(le.Uint64(e[o+4:])), int(le.Uint32(e[o+12:]))
		sec := ix.data[ix.off[secTitle+f]:ix.off[secTitle+f+1]]
		if off+size > len(sec) {
			return p, false
		}
		p[f] = postings{df: int(df), data: sec[off : off+size]}
	}
	return p, true
}

// fieldLen returns doc's length in field f.
func (ix *index) fieldLen(doc uint32, f int) uint32 {
	return binary.LittleEndian.Uint32(ix.lens[int(doc)*8+4*f:])
}

// key returns doc's key.
func (ix *index) key(doc uint32) string {
	offs := ix.data[ix.off[secKeyOffs]:ix.off[secEnd]]
	keys := ix.data[ix.off[secKeys]:ix.off[secKeyOffs]]
	a, b := binary.LittleEndian.Uint32(offs[4*doc:]), binary.LittleEndian.Uint32(offs[4*doc+4:])
	if a > b || int(b) > len(keys) {
		return ""
	}
	return string(keys[a:b])
}
