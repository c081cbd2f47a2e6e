package search

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetRunes is the longest a snippet's text gets, ellipses included.
const snippetRunes = 200

// Snippet is a passage of an article with the words that matched the
// query marked.
type Snippet struct {
	Text  string
	Marks []Span // in order, not overlapping
}

// Span is a byte range [Start, End) of a snippet's Text.
type Span struct{ Start, End int }

// Marked returns the text with each matched word between open and close,
// e.g. Marked("**", "**") for Markdown bold.
func (s Snippet) Marked(open, close string) string {
	var b strings.Builder
	at := 0
	for _, m := range s.Marks {
		if m.Start < at || m.End > len(s.Text) || m.Start >= m.End {
			continue
		}
		b.WriteString(s.Text[at:m.Start])
		b.WriteString(open)
		b.WriteString(s.Text[m.Start:m.End])
		b.WriteString(close)
		at = m.End
	}
	b.WriteString(s.Text[at:])
	return b.String()
}

// matcher knows which words of a text match a query.
type matcher struct {
	terms    map[string]int // indexed term → unit number
	prefixes []string       // lower-cased prefixes, by unit
	prefixOf []int
	// roots are short lower-case strings that a matching word starts with
	// (or, for CJK, contains), to find candidate passages without
	// analysing the whole body.
	roots  []string
	rootOf []int
}

func newMatcher(p plan) *matcher {
	m := &matcher{terms: map[string]int{}}
	addRoot := func(s string, unit int) {
		r := []rune(s)
		if len(r) > 4 {
			s = string(r[:4])
		}
		m.roots = append(m.roots, asciiLower(s))
		m.rootOf = append(m.rootOf, unit)
	}
	for i, u := range p.must {
		for _, slot := range u.phrase {
			for _, t := range slot {
				m.terms[t] = i
				addRoot(t, i)
			}
		}
		if u.prefix != "" {
			m.prefixes = append(m.prefixes, u.prefix)
			m.prefixOf = append(m.prefixOf, i)
			addRoot(u.prefix, i)
			for _, s := range u.stems {
				m.terms[s] = i
				addRoot(s, i)
			}
		}
	}
	return m
}

// makeSnippet picks the passage of body, at most max runes long, with the
// most different query words and then the most matches, and marks them.
// Cuts fall between words. A body without matches gives its beginning.
func makeSnippet(body string, m *matcher, an analyzers, max int) Snippet {
	if body == "" {
		return Snippet{}
	}
	// Paragraph breaks become spaces, keeping byte offsets.
	flat := strings.ReplaceAll(body, "\n", " ")
	start, end := bestWindow(flat, m, an, max-2) // room for the ellipses
	text := collapseSpaces(flat[start:end])
	s := Snippet{Text: text}
	prefix := ""
	if start > 0 {
		prefix = "…"
		s.Text = prefix + s.Text
	}
	if end < len(flat) {
		s.Text += "…"
	}
	s.Marks = marks(text, m, an, len(prefix))
	return s
}

// bestWindow returns the byte range of the passage to show.
func bestWindow(flat string, m *matcher, an analyzers, max int) (int, int) {
	type hit struct{ pos, unit int }
	var hits []hit
	lower := asciiLower(flat)
	checked := map[string]bool{}
	for i, root := range m.roots {
		if root == "" {
			continue
		}
		cjk := isCJKString(root)
		for at := 0; ; {
			j := strings.Index(lower[at:], root)
			if j < 0 {
				break
			}
			pos := at + j
			if cjk || (pos == 0 || !isWordRune(lastRune(lower[:pos]))) && m.matchesWord(wordAt(flat, pos), an, checked) {
				hits = append(hits, hit{pos, m.rootOf[i]})
			}
			at = pos + len(root)
		}
	}
	if len(hits) == 0 || utf8.RuneCountInString(flat) <= max {
		return 0, cutEnd(flat, 0, max)
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })

	// Score a window starting a little before each hit.
	bestStart, bestEnd, bestScore := 0, 0, -1
	for i := 0; i < len(hits); i++ {
		if i > 0 && hits[i].pos == hits[i-1].pos {
			continue
		}
		start := windowStart(flat, hits[i].pos, max/5)
		end := cutEnd(flat, start, max)
		units := map[int]bool{}
		n := 0
		for _, h := range hits[i:] {
			if h.pos >= end {
				break
			}
			units[h.unit] = true
			n++
		}
		if score := len(units)*1000 + n; score > bestScore {
			bestStart, bestEnd, bestScore = start, end, score
		}
	}
	if bestEnd == len(flat) {
		// The passage reaches the end: use the room left before it.
		bestStart = min(bestStart, fillFromEnd(flat, max))
	}
	return bestStart, bestEnd
}

// fillFromEnd returns the earliest start, at a word boundary, of a passage
// running to the end of s in at most max runes.
func fillFromEnd(s string, max int) int {
	start := len(s)
	for n := 0; start > 0 && n < max; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start == 0 {
		return 0
	}
	// Forward to the start of a word.
	for start < len(s) {
		prev := lastRune(s[:start])
		r, size := utf8.DecodeRuneInString(s[start:])
		if (isWordRune(r) || isQuote(r)) && (!isWordRune(prev) || isCJK(r) || isCJK(prev)) {
			break
		}
		start += size
	}
	return start
}

// wordAt returns the word of s that starts at pos.
func wordAt(s string, pos int) string {
	end := pos
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !isWordRune(r) && r != '.' && r != '\'' && r != '’' {
			break
		}
		end += size
	}
	return strings.TrimRight(s[pos:end], ".")
}

// matchesWord reports whether word is one the query matches (its root
// matching is not enough: patr is also the start of patriotic).
func (m *matcher) matchesWord(word string, an analyzers, cache map[string]bool) bool {
	if ok, seen := cache[word]; seen {
		return ok
	}
	ok := false
	for _, t := range an.full.Analyze([]byte(word)) {
		if _, hit := m.terms[string(t.Term)]; hit {
			ok = true
		}
	}
	if !ok && len(m.prefixes) > 0 {
		for _, t := range an.surface.Analyze([]byte(word)) {
			for _, p := range m.prefixes {
				ok = ok || strings.HasPrefix(string(t.Term), p)
			}
		}
	}
	cache[word] = ok
	return ok
}

// windowStart goes back from pos by up to context runes: to the start of
// the sentence when it is that close, else to a word boundary.
func windowStart(s string, pos, context int) int {
	start := pos
	for n := 0; start > 0 && n < context; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); start > 0 && (r == '.' || r == '!' || r == '?' || r == '。') {
			// Sentence boundary: begin after it.
			for start < pos && s[start] == ' ' {
				start++
			}
			return start
		}
	}
	if start == 0 {
		return 0
	}
	// Forward to the next word boundary.
	for start < pos {
		r, size := utf8.DecodeRuneInString(s[start:])
		prev := lastRune(s[:start])
		if !isWordRune(prev) || !isWordRune(r) || isCJK(r) || isCJK(prev) {
			break
		}
		start += size
	}
	// Not from punctuation or spaces left of the first word.
	for start < pos {
		r, size := utf8.DecodeRuneInString(s[start:])
		if isWordRune(r) || isQuote(r) || r == '(' {
			break
		}
		start += size
	}
	return start
}

// cutEnd returns where a passage beginning at start ends: after at most max
// runes, at a word boundary.
func cutEnd(s string, start, max int) int {
	end := start
	for n := 0; end < len(s) && n < max; n++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	if end >= len(s) {
		return len(s)
	}
	// Back to a boundary: not between two letters of one word.
	for e := end; e > start; {
		prev, size := utf8.DecodeLastRuneInString(s[:e])
		next, _ := utf8.DecodeRuneInString(s[e:])
		if !(isWordRune(prev) && isWordRune(next)) || isCJK(prev) || isCJK(next) {
			if t := trimRightSpace(s, start, e); t > start {
				return t
			}
		}
		e -= size
	}
	return end // a single word longer than the passage: cut inside it
}

// trimRightSpace moves a cut back over spaces and over punctuation that
// would dangle before the ellipsis ("amet,…").
func trimRightSpace(s string, start, e int) int {
	for e > start && strings.IndexByte(" ,;:-", s[e-1]) >= 0 {
		e--
	}
	for e > start {
		r, size := utf8.DecodeLastRuneInString(s[:e])
		if r != '，' && r != '、' && r != '；' && r != '：' && r != '–' && r != '—' {
			break
		}
		e -= size
	}
	return e
}

// marks finds the matched words of text and returns their spans, shifted
// by offset bytes.
func marks(text string, m *matcher, an analyzers, offset int) []Span {
	var spans []Span
	for _, t := range an.full.Analyze([]byte(text)) {
		if _, ok := m.terms[string(t.Term)]; ok {
			spans = append(spans, Span{t.Start + offset, t.End + offset})
		}
	}
	if len(m.prefixes) > 0 {
		for _, t := range an.surface.Analyze([]byte(text)) {
			for _, p := range m.prefixes {
				if strings.HasPrefix(string(t.Term), p) {
					spans = append(spans, Span{t.Start + offset, t.End + offset})
					break
				}
			}
		}
	}
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	// Merge overlaps (a CJK word is several overlapping bigrams) and
	// neighbours separated only by spaces stay separate.
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.Start <= last.End {
			last.End = max(last.End, s.End)
			continue
		}
		out = append(out, s)
	}
	return out
}

// collapseSpaces replaces runs of spaces with one and trims the ends.
func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isCJKString(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isCJK(r)
}
