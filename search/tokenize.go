package search

import (
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// fastTokenizer splits text into words exactly as bleve's Unicode
// tokenizer (UAX #29 word boundaries, as the segment package implements
// them) does, with a fast path for ASCII text.
//
// Text is cut into chunks after ASCII white space that an ASCII byte
// follows: the segmenter always starts a new segment there, and what it
// makes of a chunk does not depend on the text around it. Runs of ASCII
// chunks are split here; the other chunks, and any text that is not valid
// UTF-8 (where the segmenter stops early), go to bleve's tokenizer. Tokens, their
// positions, offsets and types are the same either way.
type fastTokenizer struct {
	// slow is bleve's Unicode tokenizer.
	slow analysis.Tokenizer
}

// Character classes of ASCII bytes for word segmentation. A word is a run
// of letters, digits and underscores (ExtendNumLet); a mid-word mark joins
// two letters (MidLetter: the colon; MidNumLet: the full stop; Single_Quote:
// the apostrophe) or two digits (MidNum: comma, semicolon; MidNumLet;
// Single_Quote). Everything else separates words.
const (
	clsOther byte = iota
	clsSpace      // white space: chunks are cut after it
	clsLetter
	clsDigit
	clsUnder     // '_'
	clsMidLetter // ':'
	clsMidNum    // ',' ';'
	clsMidBoth   // full stop, apostrophe
)

var asciiClass = func() (t [utf8.RuneSelf]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLetter
		t[c-'a'+'A'] = clsLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for _, c := range " \t\n\r\v\f" {
		t[c] = clsSpace
	}
	t['_'] = clsUnder
	t[':'] = clsMidLetter
	t[','], t[';'] = clsMidNum, clsMidNum
	t['.'], t['\''] = clsMidBoth, clsMidBoth
	return t
}()

// Tokenize implements analysis.Tokenizer.
func (f fastTokenizer) Tokenize(input []byte) analysis.TokenStream {
	if !utf8.Valid(input) {
		return f.slow.Tokenize(input)
	}
	var b tokenBuilder
	b.init(len(input))
	// input[start:] is being read: ASCII up to i while ascii, with a chunk
	// cut at cut; else a chunk with other text that ends at the next cut.
	start, cut, ascii := 0, 0, true
	for i := 0; i < len(input); i++ {
		c := input[i]
		if c >= utf8.RuneSelf {
			if ascii {
				asciiWords(&b, input[:cut], start)
				start, ascii = cut, false
			}
			continue
		}
		if asciiClass[c] != clsSpace || i+1 >= len(input) || input[i+1] >= utf8.RuneSelf {
			continue
		}
		// A chunk ends after this white space.
		if !ascii {
			f.slowChunk(&b, input[start:i+1], start)
			start, ascii = i+1, true
		}
		cut = i + 1
	}
	if ascii {
		asciiWords(&b, input, start)
	} else {
		f.slowChunk(&b, input[start:], start)
	}
	return b.out
}

// slowChunk adds the tokens of chunk, which starts at offset in the text,
// as bleve's tokenizer makes them.
func (f fastTokenizer) slowChunk(b *tokenBuilder, chunk []byte, offset int) {
	for _, t := range f.slow.Tokenize(chunk) {
		b.add(t.Term, offset+t.Start, offset+t.End, t.Type)
	}
}

// asciiWords adds the words of s[start:], which is ASCII, to b.
func asciiWords(b *tokenBuilder, s []byte, start int) {
	for i := start; i < len(s); {
		c := asciiClass[s[i]]
		if c != clsLetter && c != clsDigit && c != clsUnder {
			i++
			continue
		}
		j, letters, digits := i, false, false
	word:
		for j < len(s) {
			switch asciiClass[s[j]] {
			case clsLetter:
				letters = true
			case clsDigit:
				digits = true
			case clsUnder:
			case clsMidLetter:
				if !joins(s, j, clsLetter) {
					break word
				}
				j++
			case clsMidNum:
				if !joins(s, j, clsDigit) {
					break word
				}
				j++
			case clsMidBoth:
				if !joins(s, j, clsLetter) && !joins(s, j, clsDigit) {
					break word
				}
				j++
			default:
				break word
			}
			j++
		}
		typ := analysis.AlphaNumeric
		if digits && !letters {
			typ = analysis.Numeric
		}
		b.add(s[i:j], i, j, typ)
		i = j
	}
}

// joins reports whether the mid-word mark s[j] stands between two bytes of
// class cls (j > 0 always: a word never starts with a mark).
func joins(s []byte, j int, cls byte) bool {
	return j+1 < len(s) && asciiClass[s[j-1]] == cls && asciiClass[s[j+1]] == cls
}

// tokenBuilder collects tokens, numbering their positions from 1. Tokens
// are allocated in slabs, as bleve's tokenizer does.
type tokenBuilder struct {
	out  analysis.TokenStream
	slab []analysis.Token
	size int // bytes of input, for sizing slabs
}

func (b *tokenBuilder) init(n int) {
	b.size = n
	// News text averages about six bytes per word and the space after it.
	b.out = make(analysis.TokenStream, 0, n/6+1)
}

func (b *tokenBuilder) add(term []byte, start, end int, typ analysis.TokenType) {
	if len(b.slab) == 0 {
		n := (b.size - start) / 6
		n = min(max(n, 16), 1024)
		b.slab = make([]analysis.Token, n)
	}
	t := &b.slab[0]
	b.slab = b.slab[1:]
	t.Term, t.Start, t.End, t.Type = term, start, end, typ
	t.Position = len(b.out) + 1
	b.out = append(b.out, t)
}
