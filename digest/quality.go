package digest

import (
	"strings"

	"github.com/digestbot/digestbot/corpus"
	"unicode"
	"unicode/utf8"
)

// minWords is the fewest words a summary sentence may have ("Inspirational
// influence." is a fragment; "The center remains highly consistent." is
// not). Each CJK character counts as a word.
const minWords = 4

// classify sets the Kind of the sentences of one paragraph. caption says
// the paragraph is a photo caption (it carries a photo credit).
//
// A sentence inside a quotation that runs over several sentences is a
// fragment too: "I also fought in 1950." means little without who said it.
func classify(sents []Sentence, caption bool) {
	var q quoteState
	for i := range sents {
		s := &sents[i]
		inside := q.open()
		q.update(s.Text)
		switch {
		case caption || isBoilerplate(s.Text) || corpus.IsBoilerplate(s.Text):
			s.Kind = KindBoilerplate
		case len(sents) == 1 && !endsSentence(s.Text):
			s.Kind = KindHeading
		case inside || isFragment(s.Text):
			s.Kind = KindFragment
		default:
			s.Kind = KindText
		}
	}
}

// quoteState follows whether a quotation is open across the sentences of
// a paragraph.
type quoteState struct {
	straight bool // an odd number of " so far
	curly    bool // a “ opened and not yet closed
}

func (q quoteState) open() bool { return q.straight || q.curly }

func (q *quoteState) update(s string) {
	if strings.Count(s, `"`)%2 == 1 {
		q.straight = !q.straight
	}
	// Only a single unmatched mark opens or closes: "“themes of China“"
	// (two openers, a common typing slip) opens nothing.
	switch strings.Count(s, "“") - strings.Count(s, "”") {
	case 1:
		q.curly = true
	case -1:
		q.curly = false
	}
}

// isFragment reports whether a sentence cannot stand alone in a summary.
func isFragment(s string) bool {
	if !endsSentence(s) || trailsOff(s) {
		return true
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, isOpeningMark))
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) && !isCJK(first) {
		return true // starts mid-sentence, or with a symbol
	}
	if countWords(s) < minWords || unbalancedQuotes(s) {
		return true
	}
	// A bare attribution left over from a quotation: "Lu Bo, director of
	// the centre, said."
	end := strings.TrimRightFunc(s, func(r rune) bool { return isClosingMark(r) || r == '.' })
	return (hasSuffixFold(end, " said") || hasSuffixFold(end, " says")) &&
		!strings.ContainsAny(s, "\"“”") && countWords(s) <= 20
}

// unbalancedQuotes reports whether s opens a quotation it does not close
// or closes one it did not open: a piece of a longer quotation.
func unbalancedQuotes(s string) bool {
	return strings.Count(s, `"`)%2 == 1 ||
		strings.Count(s, "“") != strings.Count(s, "”") ||
		strings.Count(s, "「") != strings.Count(s, "」") ||
		strings.Count(s, "『") != strings.Count(s, "』")
}

// countWords counts runs of letters or digits; each CJK character is a word.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		switch {
		case isCJK(r):
			n++
			in = false
		case isWordRune(r):
			if !in {
				n++
			}
			in = true
		case r == '\'' || r == '’' || r == '-':
			// inside a word: "don't", "grass-roots"
		default:
			in = false
		}
	}
	return n
}

func isCJK(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: Latin, Greek, Cyrillic, …
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// creditLabels start credit and furniture lines. With a colon after the
// label the line is boilerplate; without one it is when it does not end
// like a sentence ("Producer Xing Lai", but not "Reporters learned that …").
var creditLabels = []string{
	"editor-in-chief", "chief editor", "responsible editor", "executive editor", "editors", "editor",
	"chief producer", "producers", "producer", "reporters", "reporter", "correspondents", "correspondent",
	"proofreading", "proofreader", "proofread", "photographers", "photographer", "photographed by",
	"photography", "photos by", "photo by", "photos", "photo", "picture", "image", "video", "source",
	"sources", "authors", "author", "translator", "translated by", "written by", "compiled by",
	"copyright", "address", "tel", "telephone", "fax", "email", "e-mail", "contact", "click", "share",
	"subscribe", "follow us", "visual sense", "planning", "design", "read more", "related",
	"责任编辑", "编辑", "记者", "来源", "作者", "校对", "摄影", "监制", "主编", "通讯员", "图片", "视频", "制作",
}

// isBoilerplate reports whether a sentence is page furniture rather than
// news: a credit or source line, a parenthetical note such as
// "(File photo)", a link or e-mail address, a copyright or licence line, or
// one with a stray "html" token.
func isBoilerplate(s string) bool {
	for _, marker := range []string{"html", "http", "www."} {
		// At the start of a word: "htmlOn", "https://…", not "xhtml".
		for i, off := 0, 0; ; off += i + len(marker) {
			i = indexFold(s[off:], marker)
			if i < 0 {
				break
			}
			if r, _ := utf8.DecodeLastRuneInString(s[:off+i]); off+i == 0 || !isWordRune(r) {
				return true
			}
		}
	}
	if at := strings.IndexByte(s, '@'); at > 0 && isWordRune(rune(s[at-1])) {
		rest := s[at:]
		if end := strings.IndexAny(rest, " \t"); end >= 0 {
			rest = rest[:end]
		}
		if strings.Contains(rest, ".") {
			return true // e-mail address
		}
	}
	for _, marker := range []string{"all rights reserved", "©", "icp no", "icp备", "icp 备", "unauthorized reproduction", "转载"} {
		if indexFold(s, marker) >= 0 {
			return true
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if (first == '(' && last == ')') || (first == '（' && last == '）') ||
		(first == '[' && last == ']') || (first == '【' && last == '】') {
		return true
	}
	body := strings.TrimLeft(s, "([【（〔 ")
	for _, l := range creditLabels {
		if !hasPrefixFold(body, l) {
			continue
		}
		rest := body[len(l):]
		r, _ := utf8.DecodeRuneInString(rest)
		if rest != "" && isWordRune(r) && r < utf8.RuneSelf {
			continue // "Sourced", "Editorial": another word
		}
		if t := strings.TrimLeft(rest, " "); strings.HasPrefix(t, ":") || strings.HasPrefix(t, "：") || !endsSentence(s) {
			return true
		}
	}
	return false
}

// captionMarkers show a paragraph to be a photo caption.
var captionMarkers = []string{
	"(file photo)", "(photo", "photographed by", "photo by", "photos by", "photo:", "photo credit",
	"xinhua photo", "(资料图", "（资料图", "（图", "图为", "摄影：", "摄）",
}

// isCaptionParagraph reports whether a paragraph is a photo caption.
func isCaptionParagraph(p string) bool {
	for _, m := range captionMarkers {
		if indexFold(p, m) >= 0 {
			return true
		}
	}
	return false
}

// indexFold is strings.Index ignoring the case of ASCII letters; sub must
// be in lower case. (strings.ToLower of every sentence cost a fifth of the
// splitting time.) It jumps between occurrences of sub's first byte, in
// either case, with strings.IndexByte.
func indexFold(s, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	lower, upper := sub[0], sub[0]
	if 'a' <= lower && lower <= 'z' {
		upper = lower - ('a' - 'A')
	}
	nextLower, nextUpper := -2, -2 // next occurrence at or after i; -1 none, -2 not looked for
	if upper == lower {
		nextUpper = -1
	}
	for i := 0; i+n <= len(s); {
		if nextLower != -1 && nextLower < i {
			nextLower = indexByteFrom(s, lower, i)
		}
		if nextUpper != -1 && nextUpper < i {
			nextUpper = indexByteFrom(s, upper, i)
		}
		j := nextLower
		if nextUpper >= 0 && (j < 0 || nextUpper < j) {
			j = nextUpper
		}
		if j < 0 || j+n > len(s) {
			return -1
		}
		if restEqualFold(s[j+1:j+n], sub[1:]) {
			return j
		}
		i = j + 1
	}
	return -1
}

func indexByteFrom(s string, b byte, from int) int {
	if k := strings.IndexByte(s[from:], b); k >= 0 {
		return from + k
	}
	return -1
}

// restEqualFold reports whether s equals the lower-case sub, ignoring the
// case of ASCII letters in s.
func restEqualFold(s, sub string) bool {
	for k := 0; k < len(sub); k++ {
		c := s[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != sub[k] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with the lower-case prefix,
// ignoring the case of ASCII letters in s.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && restEqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && indexFold(s[len(s)-len(suffix):], suffix) == 0
}
