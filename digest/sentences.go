package digest

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/neurosnap/sentences.v1"
	"gopkg.in/neurosnap/sentences.v1/data"

	"github.com/digestbot/digestbot/corpus"
)

// Kind says what a sentence is good for.
type Kind uint8

// The kinds of sentence. Only KindText may appear in a summary; headings
// and fragments still count in the sentence graph, boilerplate does not.
const (
	KindText        Kind = iota // a complete sentence that can stand alone
	KindHeading                 // a paragraph without sentence-ending punctuation: heading, subtitle, kicker
	KindFragment                // incomplete alone: trails off, starts in lower case, unbalanced quotes, too short, bare attribution
	KindBoilerplate             // credit line, photo caption, source note, link or stray markup
)

var kindNames = [...]string{"text", "heading", "fragment", "boilerplate"}

// String returns "text", "heading", "fragment" or "boilerplate".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Sentence is one sentence of an article body.
type Sentence struct {
	Text string
	Para int  // index of its paragraph (after re-joining wrapped lines)
	Kind Kind // whether a summary may use it
}

// Splitter splits article bodies into sentences: the Punkt splitter of
// gopkg.in/neurosnap/sentences.v1 with its English model, plus fixes for
// what it gets wrong in news text (see Split). It is safe for concurrent
// use.
type Splitter struct {
	punkt *sentences.DefaultSentenceTokenizer
}

// NewSplitter loads the English Punkt model built into the sentences
// module (about 15 ms; no I/O). It is set up like the module's english
// package (its word tokenizer, which knows curly quotes, here answered
// without regular expressions by punktWords, and the abbreviations "sgt",
// "gov", "no") but without that package's regular expression pass for
// dotted abbreviations, which falseBreak covers for a tenth of the time.
func NewSplitter() (*Splitter, error) {
	raw, err := data.Asset("data/english.json")
	if err != nil {
		return nil, fmt.Errorf("load the English sentence model: %w", err)
	}
	training, err := sentences.LoadTraining(raw)
	if err != nil {
		return nil, fmt.Errorf("load the English sentence model: %w", err)
	}
	for _, abbr := range []string{"sgt", "gov", "no"} {
		training.AbbrevTypes.Add(abbr)
	}
	return &Splitter{punkt: sentences.NewTokenizer(training, newPunktWords(), newPunktPunct())}, nil
}

// Split returns the sentences of body (paragraphs separated by blank
// lines), each classified by Kind. On top of Punkt it
//
//   - re-joins a paragraph that stops mid-sentence with the next one when
//     that starts in lower case (hard-wrapped text);
//   - ends sentences at the CJK full stop, question and exclamation marks
//     (。！？), which Punkt does not know;
//   - never ends a sentence after a title (Mr., Dr., Gov. …), after "No."
//     before a number ("No. 18000738-1"), or after dotted initials such as
//     "U.S." unless the next word commonly starts sentences;
//   - re-attaches punctuation left on its own (`. .”`) to its sentence and
//     a closing quote that Punkt put at the start of the next sentence
//     (`results. "Feng said`) to the sentence it closes;
//   - marks a paragraph without sentence-ending punctuation as a heading.
func (s *Splitter) Split(body string) []Sentence {
	// Invalid bytes split apart by a paragraph break must not rejoin into
	// a character that was never there.
	body = strings.ToValidUTF8(body, "\uFFFD")
	var out []Sentence
	for pi, p := range joinWrapped(strings.Split(body, "\n\n")) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		first := len(out)
		for _, sp := range s.paragraph(p) {
			t := strings.TrimSpace(p[sp.start:sp.end])
			if strings.ContainsAny(t, "\n\t\r") || strings.Contains(t, "  ") {
				t = strings.Join(strings.Fields(t), " ")
			}
			if t != "" {
				out = append(out, Sentence{Text: t, Para: pi})
			}
		}
		classify(out[first:], isCaptionParagraph(p) || corpus.IsBoilerplate(p))
	}
	return out
}

// span is text[start:end] of one paragraph.
type span struct{ start, end int }

// paragraph splits one paragraph into sentence spans.
func (s *Splitter) paragraph(p string) []span {
	var spans []span
	for _, piece := range cjkPieces(p) {
		text := p[piece.start:piece.end]
		for _, sent := range s.punkt.Tokenize(text) {
			spans = append(spans, ellipsisBreaks(p, span{piece.start + sent.Start, piece.start + sent.End})...)
		}
	}
	return fixSpans(p, spans)
}

// fixSpans merges and moves sentence boundaries Punkt got wrong.
func fixSpans(p string, spans []span) []span {
	out := spans[:0]
	for _, sp := range spans {
		if len(out) == 0 {
			out = append(out, sp)
			continue
		}
		prev := &out[len(out)-1]
		prevText := strings.TrimSpace(p[prev.start:prev.end])
		text := strings.TrimSpace(p[sp.start:sp.end])
		switch {
		case !hasWordRune(text), !hasWordRune(prevText), falseBreak(prevText, text):
			prev.end = sp.end
			continue
		}
		// A closing quote Punkt left at the start of this sentence belongs
		// to the previous one when that has an unclosed quote.
		lead := sp.start + (len(p[sp.start:sp.end]) - len(strings.TrimLeft(p[sp.start:sp.end], " ")))
		if q, size := utf8.DecodeRuneInString(p[lead:]); size > 0 && lead+size < sp.end {
			next, _ := utf8.DecodeRuneInString(p[lead+size:])
			if !unicode.IsSpace(next) && closesOpenQuote(prevText, text, q) {
				prev.end = lead + size
				sp.start = lead + size
			}
		}
		out = append(out, sp)
	}
	return out
}

// closesOpenQuote reports whether quote mark q at the start of text closes
// a quotation left open in prev.
func closesOpenQuote(prev, text string, q rune) bool {
	switch q {
	case '"':
		return strings.Count(prev, `"`)%2 == 1 && strings.Count(text, `"`)%2 == 1
	case '”':
		return strings.Count(prev, "“") > strings.Count(prev, "”") && strings.Count(text, "”") > strings.Count(text, "“")
	}
	return false
}

// titleAbbrevs never end a sentence: a name follows.
var titleAbbrevs = map[string]bool{
	"mr.": true, "mrs.": true, "ms.": true, "dr.": true, "prof.": true, "st.": true, "gen.": true,
	"gov.": true, "sen.": true, "rep.": true, "col.": true, "lt.": true, "capt.": true, "sgt.": true,
	"mt.": true, "messrs.": true, "rev.": true, "hon.": true, "fr.": true, "maj.": true, "cpl.": true,
	"pres.": true, "supt.": true, "insp.": true,
}

// numberAbbrevs do not end a sentence when a number follows: "No. 5".
var numberAbbrevs = map[string]bool{
	"no.": true, "nos.": true, "art.": true, "fig.": true, "figs.": true, "p.": true, "pp.": true,
	"vol.": true, "ch.": true, "sec.": true, "para.": true, "op.": true, "approx.": true,
}

// sentenceStarters are words that commonly begin a sentence: after "U.S."
// they mean the sentence really ended.
var sentenceStarters = map[string]bool{
	"the": true, "a": true, "an": true, "he": true, "she": true, "it": true, "they": true, "we": true,
	"i": true, "you": true, "in": true, "on": true, "at": true, "this": true, "that": true, "these": true,
	"those": true, "but": true, "and": true, "however": true, "meanwhile": true, "there": true,
	"his": true, "her": true, "its": true, "their": true, "our": true, "as": true, "after": true,
	"before": true, "when": true, "while": true, "if": true, "for": true, "according": true,
	"yet": true, "so": true, "then": true, "also": true, "some": true, "many": true, "most": true,
	"since": true, "last": true, "officials": true, "both": true, "other": true, "one": true,
}

// falseBreak reports whether Punkt wrongly ended prev before next.
func falseBreak(prev, next string) bool {
	last := prev
	if i := strings.LastIndexAny(prev, " \t"); i >= 0 {
		last = prev[i+1:]
	}
	last = strings.ToLower(strings.TrimLeft(last, "\"'“‘([（"))
	if !strings.HasSuffix(last, ".") {
		return false
	}
	nextWord := next
	if i := strings.IndexAny(next, " \t"); i >= 0 {
		nextWord = next[:i]
	}
	first, _ := utf8.DecodeRuneInString(nextWord)
	switch {
	case titleAbbrevs[last]:
		return true
	case numberAbbrevs[last]:
		return unicode.IsDigit(first)
	case dottedInitials(last):
		if unicode.IsLower(first) || unicode.IsDigit(first) {
			return true
		}
		w := strings.ToLower(strings.TrimRight(nextWord, ",.;:!?\"'”’"))
		return unicode.IsUpper(first) && !sentenceStarters[w]
	}
	return false
}

// dottedInitials reports whether w is like "u.s." or "e.g.": two or more
// single letters each followed by a full stop.
func dottedInitials(w string) bool {
	n := 0
	for len(w) > 0 {
		r, size := utf8.DecodeRuneInString(w)
		if !unicode.IsLetter(r) || size >= len(w) || w[size] != '.' {
			return false
		}
		w = w[size+1:]
		n++
	}
	return n >= 2
}

// ellipsisBreaks splits sp after an ellipsis ("..." or "…", maybe with a
// closing quote) followed by a capitalised word, which Punkt leaves
// joined: "I asked him to rest assured... Then he was gone."
func ellipsisBreaks(p string, sp span) []span {
	var out []span
	text := p[sp.start:sp.end]
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		end := i + size
		switch {
		case r == '…':
		case r == '.' && strings.HasPrefix(text[i:], "..."):
			end = i + len(text[i:]) - len(strings.TrimLeft(text[i:], ".")) // past the dots
		default:
			i = end
			continue
		}
		for end < len(text) {
			c, n := utf8.DecodeRuneInString(text[end:])
			if !isClosingMark(c) {
				break
			}
			end += n
		}
		rest := strings.TrimLeft(text[end:], " ")
		if len(rest) < len(text[end:]) {
			first, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(rest, isOpeningMark))
			if unicode.IsUpper(first) {
				out = append(out, span{sp.start + start, sp.start + end})
				start = end
			}
		}
		i = end
	}
	return append(out, span{sp.start + start, sp.end})
}

// cjkPieces cuts p after each CJK sentence end (。！？ and any closing
// quotes or brackets after it), which Punkt does not see because no space
// follows.
func cjkPieces(p string) []span {
	var out []span
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		i += size
		if r != '。' && r != '！' && r != '？' {
			continue
		}
		for i < len(p) {
			c, n := utf8.DecodeRuneInString(p[i:])
			if !isClosingMark(c) && c != '。' && c != '！' && c != '？' {
				break
			}
			i += n
		}
		if i < len(p) {
			out = append(out, span{start, i})
			start = i
		}
	}
	return append(out, span{start, len(p)})
}

// joinWrapped re-joins paragraphs that continue one sentence: one that does
// not end like a sentence followed by one starting in lower case.
func joinWrapped(paras []string) []string {
	out := paras[:0:0]
	for i := 0; i < len(paras); i++ {
		cur := strings.TrimSpace(paras[i])
		for i+1 < len(paras) && cur != "" && !endsSentence(cur) && startsLower(paras[i+1]) {
			i++
			cur += " " + strings.TrimSpace(paras[i])
		}
		out = append(out, cur)
	}
	return out
}

func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(s))
	return unicode.IsLower(r)
}

func isClosingMark(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', ')', ']', '）', '」', '』', '】', '》', '〉', '»':
		return true
	}
	return false
}

func isOpeningMark(r rune) bool {
	switch r {
	case '"', '\'', '“', '‘', '(', '[', '（', '「', '『', '【', '《', '〈', '«':
		return true
	}
	return false
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func hasWordRune(s string) bool { return strings.IndexFunc(s, isWordRune) >= 0 }

// endsSentence reports whether s ends with sentence-ending punctuation,
// before any closing quotes or brackets.
func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return isClosingMark(r) || unicode.IsSpace(r) })
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '?', '。', '！', '？', '…':
		return true
	}
	return false
}

// trailsOff reports whether s ends with an ellipsis: "rest assured...".
func trailsOff(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return isClosingMark(r) || unicode.IsSpace(r) })
	return strings.HasSuffix(s, "..") || strings.HasSuffix(s, "…")
}
