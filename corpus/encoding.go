package corpus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// Limits used when deciding whether a file is text at all.
const (
	// binaryProbe is how much of the raw file is searched for NUL bytes.
	binaryProbe = 8 << 10
	// maxControlRatio is the share of control and undecodable characters
	// (in percent) above which decoded content counts as binary.
	maxControlRatio = 10
)

// decodeText turns a file's raw bytes into clean UTF-8: byte order mark
// removed, UTF-16 decoded, GB18030 tried for text that is not UTF-8, every
// line ending turned into "\n" and the result in Unicode NFC. It returns
// ErrEmpty for empty or white-space-only content and an error wrapping
// ErrBinary for content that is not text.
//
// The returned slice may share memory with data; callers must not modify it
// and decodeText never modifies data.
func decodeText(data []byte) ([]byte, error) {
	var text []byte
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		text = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		text = decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		text = decodeUTF16(data[2:], true)
	default:
		text = data
	}
	// UTF-16 is full of NUL bytes, so the raw probe only applies to byte
	// encodings; decoded UTF-16 is probed below instead.
	if bytes.IndexByte(text[:min(len(text), binaryProbe)], 0) >= 0 {
		return nil, fmt.Errorf("%w: NUL byte in the first %d KB", ErrBinary, binaryProbe>>10)
	}
	if !utf8.Valid(text) {
		text = decodeInvalidUTF8(text)
	}
	if isBlank(text) {
		return nil, ErrEmpty
	}
	if bad, total := countControl(text); bad*100 > total*maxControlRatio {
		return nil, fmt.Errorf("%w: %d of %d characters are control codes or undecodable", ErrBinary, bad, total)
	}
	text = normalizeNewlines(text)
	return norm.NFC.Bytes(text), nil
}

// decodeUTF16 decodes UTF-16 without its byte order mark. Unpaired
// surrogates and an odd trailing byte become U+FFFD.
func decodeUTF16(b []byte, bigEndian bool) []byte {
	out := make([]byte, 0, len(b)+len(b)/2)
	unit := func(i int) rune {
		if bigEndian {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i+1])<<8 | rune(b[i])
	}
	i := 0
	for ; i+1 < len(b); i += 2 {
		r := unit(i)
		switch {
		case r >= 0xD800 && r < 0xDC00: // high surrogate: needs a low one next
			if i+3 < len(b) {
				if r2 := unit(i + 2); r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
					i += 2
					break
				}
			}
			r = utf8.RuneError
		case r >= 0xDC00 && r < 0xE000:
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
	}
	if i < len(b) {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	return out
}

// decodeInvalidUTF8 handles bytes that are not valid UTF-8. Chinese text
// saved as GBK/GB18030 is the common case, so that decoding is tried first
// and kept when it looks like real Chinese text (see plausibleGB18030);
// otherwise each invalid byte sequence is replaced with U+FFFD.
func decodeInvalidUTF8(b []byte) []byte {
	if mostlyInvalidUTF8(b) {
		if gb, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil && plausibleGB18030(gb) {
			return gb
		}
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// mostlyInvalidUTF8 reports whether b has more invalid bytes than valid
// multi-byte UTF-8 sequences. A UTF-8 file with a stray Latin-1 byte or two
// fails this test and is not reinterpreted as GB18030.
func mostlyInvalidUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		} else {
			valid++
		}
		i += size
	}
	return invalid > valid
}

// plausibleGB18030 reports whether text decoded as GB18030 looks like real
// text: almost no U+FFFD, at least 80% of the non-ASCII characters CJK or
// CJK/general punctuation, and few CJK characters wedged between two ASCII
// letters (the signature of Latin-1 bytes misread as GBK pairs).
func plausibleGB18030(text []byte) bool {
	var total, nonASCII, cjkish, bad, wedged int
	prevLetter := false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		i += size
		total++
		if r < utf8.RuneSelf {
			prevLetter = r < 0x80 && (r|0x20 >= 'a' && r|0x20 <= 'z')
			continue
		}
		nonASCII++
		switch {
		case r == utf8.RuneError:
			bad++
		case isCJK(r) || (r >= 0x2000 && r <= 0x206F) || (r >= 0x3000 && r <= 0x303F) ||
			(r >= 0xFF00 && r <= 0xFFEF) || r == 0x00B7:
			cjkish++
			if prevLetter && i < len(text) && text[i] < utf8.RuneSelf && (text[i]|0x20 >= 'a' && text[i]|0x20 <= 'z') {
				wedged++
			}
		}
		prevLetter = false
	}
	return nonASCII > 0 && bad*100 <= total && cjkish*10 >= nonASCII*8 && wedged*5 <= cjkish
}

// isBlank reports whether b holds only white space, zero-width characters
// and byte order marks.
func isBlank(b []byte) bool {
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if !unicode.IsSpace(r) && !isZeroWidth(r) {
			return false
		}
	}
	return true
}

// countControl counts the characters of valid UTF-8 text that are control
// codes (other than tab, line feed, vertical tab, form feed and carriage
// return) or U+FFFD, and all characters.
func countControl(b []byte) (bad, total int) {
	for i := 0; i < len(b); {
		if len(b)-i >= 8 && printable8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			total += 8
			continue
		}
		total++
		if c := b[i]; c < utf8.RuneSelf {
			if (c < 0x20 && (c < '\t' || c > '\r')) || c == 0x7F {
				bad++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r < 0xA0 || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
			bad++
		}
	}
	return bad, total
}

// normalizeNewlines turns CRLF and lone CR line endings into LF. Text
// without a CR is returned as is.
func normalizeNewlines(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue // the LF that follows is kept
			}
			c = '\n'
		}
		out = append(out, c)
	}
	return out
}

// isZeroWidth reports whether r is an invisible formatting character that
// carries no text: zero-width space, word joiner, byte order mark.
func isZeroWidth(r rune) bool {
	return r == 0x200B || r == 0x2060 || r == 0xFEFF
}

// isCJK reports whether r is a Han, Hiragana, Katakana or Hangul character;
// each counts as one word.
func isCJK(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r >= 0x4E00 && r <= 0x9FFF:
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// Word-at-a-time helpers: they look at eight bytes of text at once so that
// the common case, plain printable ASCII, skips the per-character work.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// printable8 reports whether all eight bytes of x are printable ASCII,
// 0x20 to 0x7E.
func printable8(x uint64) bool {
	if x&highs != 0 {
		return false
	}
	// With no high bits set, a byte is below 0x20 exactly when adding 0x60
	// leaves its high bit clear, and is 0x7F exactly when adding 0x01 sets
	// it.
	return (x+0x60*ones)&highs == highs && (x+ones)&highs == 0
}

// spaces8 returns a mask with the high bit set in every byte of x that is a
// space; x must be printable8.
func spaces8(x uint64) uint64 {
	t := x ^ 0x20*ones // spaces become zero
	return ^((t &^ highs) + 0x7F*ones | t) & highs
}

// plainRun returns the length of the longest prefix of b, a multiple of
// eight bytes, that is printable ASCII without two spaces in a row.
func plainRun(b []byte) int {
	n := 0
	prevSpace := false
	for len(b)-n >= 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		if !printable8(x) {
			break
		}
		s := spaces8(x)
		if s&(s<<8) != 0 || (prevSpace && s&0x80 != 0) {
			break
		}
		prevSpace = s>>63 != 0
		n += 8
	}
	return n
}

// inRange8 returns a mask with the high bit set in every byte of x between
// lo and hi inclusive (0 < lo <= hi < 0x80); x must have no high bits set.
func inRange8(x uint64, lo, hi byte) uint64 {
	return (x + uint64(0x80-lo)*ones) &^ (x + uint64(0x7F-hi)*ones) & highs
}

// alnum8 returns a mask with the high bit set in every byte of x that is an
// ASCII letter or digit; x must have no high bits set.
func alnum8(x uint64) uint64 {
	return inRange8(x, '0', '9') | inRange8(x|0x20*ones, 'a', 'z')
}
