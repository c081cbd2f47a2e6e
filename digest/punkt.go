package digest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/neurosnap/sentences.v1"
)

// punktWords is the word tokenizer Punkt runs with: the English word
// tokenizer of gopkg.in/neurosnap/sentences.v1 (english.WordTokenizer),
// answering every question about a token exactly as it does but without
// its regular expressions and per-call allocations, which were a third of
// the time of splitting a news article. TestPunktWordsAgree checks it
// against the module's own tokenizer.
type punktWords struct {
	words *sentences.DefaultWordTokenizer // Tokenize, with punktPunct
}

func newPunktWords() *punktWords {
	return &punktWords{words: sentences.NewWordTokenizer(newPunktPunct())}
}

// punktPunct is sentences.DefaultPunctStrings with a faster
// HasSentencePunct.
type punktPunct struct{ *sentences.DefaultPunctStrings }

func newPunktPunct() punktPunct { return punktPunct{sentences.NewPunctStrings()} }

// HasSentencePunct reports whether text has a full stop, question or
// exclamation mark.
func (punktPunct) HasSentencePunct(text string) bool { return strings.ContainsAny(text, ".!?") }

// Tokenize is the module's word tokenizer.
func (p *punktWords) Tokenize(text string, onlyPeriodContext bool) []*sentences.Token {
	return p.words.Tokenize(text, onlyPeriodContext)
}

// Type is the lower-cased token with a trailing number replaced by
// "##number##" (the module's `-?[\.,]?\d[\d,\.-]*\.?$`) and, unless one
// byte long, without commas.
func (p *punktWords) Type(t *sentences.Token) string {
	typ := strings.ToLower(t.Tok) // allocates only when something changes
	if i := numericSuffix(typ); i >= 0 {
		typ = typ[:i] + "##number##"
	}
	if len(typ) == 1 || strings.IndexByte(typ, ',') < 0 {
		return typ
	}
	return strings.ReplaceAll(typ, ",", "")
}

// numericSuffix returns where the leftmost match of
// `-?[\.,]?\d[\d,\.-]*\.?$` starts in s, or -1. Every byte of a match is
// one of "0123456789,.-", so the match lies in the longest run of them at
// the end of s; it starts at the first place in that run where an optional
// '-', an optional '.' or ',' and then a digit follow.
func numericSuffix(s string) int {
	j := len(s)
	for j > 0 && isNumberByte(s[j-1]) {
		j--
	}
	for i := j; i < len(s); i++ {
		k := i
		if s[k] == '-' {
			k++
		}
		if k < len(s) && (s[k] == '.' || s[k] == ',') {
			k++
		}
		if k < len(s) && '0' <= s[k] && s[k] <= '9' {
			return i
		}
	}
	return -1
}

func isNumberByte(c byte) bool { return '0' <= c && c <= '9' || c == ',' || c == '.' || c == '-' }

// TypeNoPeriod is the type without its final full stop.
func (p *punktWords) TypeNoPeriod(t *sentences.Token) string {
	typ := p.Type(t)
	if len(typ) > 1 && typ[len(typ)-1] == '.' {
		return typ[:len(typ)-1]
	}
	return typ
}

// TypeNoSentPeriod is the type without its final full stop when the token
// ends a sentence.
func (p *punktWords) TypeNoSentPeriod(t *sentences.Token) string {
	if t.SentBreak {
		return p.TypeNoPeriod(t)
	}
	return p.Type(t)
}

// FirstUpper reports whether the token starts with an upper-case letter.
func (p *punktWords) FirstUpper(t *sentences.Token) bool {
	if t.Tok == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.Tok)
	return unicode.IsUpper(r)
}

// FirstLower reports whether the token starts with a lower-case letter.
func (p *punktWords) FirstLower(t *sentences.Token) bool {
	if t.Tok == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.Tok)
	return unicode.IsLower(r)
}

// IsEllipsis: `\.\.+$`.
func (p *punktWords) IsEllipsis(t *sentences.Token) bool { return strings.HasSuffix(t.Tok, "..") }

// IsNumber reports a type that is a number.
func (p *punktWords) IsNumber(t *sentences.Token) bool {
	return strings.HasPrefix(t.Tok, "##number##")
}

// IsInitial: `^[A-Za-z]\.$`.
func (p *punktWords) IsInitial(t *sentences.Token) bool {
	return len(t.Tok) == 2 && isASCIILetter(t.Tok[0]) && t.Tok[1] == '.'
}

// IsAlpha: `^[A-Za-z]+$`.
func (p *punktWords) IsAlpha(t *sentences.Token) bool {
	if t.Tok == "" {
		return false
	}
	for i := 0; i < len(t.Tok); i++ {
		if !isASCIILetter(t.Tok[i]) {
			return false
		}
	}
	return true
}

// IsNonPunct: the type has a letter (`[^\W\d]`: an ASCII letter or '_').
func (p *punktWords) IsNonPunct(t *sentences.Token) bool {
	typ := p.Type(t)
	for i := 0; i < len(typ); i++ {
		if isASCIILetter(typ[i]) || typ[i] == '_' {
			return true
		}
	}
	return false
}

// HasPeriodFinal reports whether the token ends with a full stop.
func (p *punktWords) HasPeriodFinal(t *sentences.Token) bool { return strings.HasSuffix(t.Tok, ".") }

// sentEnders and sentParens are english.WordTokenizer's.
var (
	sentEnders = [...]string{
		`."`, `.'`, `.)`, `.’`, `.”`,
		`?`, `?"`, `?'`, `?)`, `?’`, `?”`,
		`!`, `!"`, `!'`, `!)`, `!’`, `!”`,
	}
	sentParens = [...]string{`.[`, `.(`, `."`, `.'`, `?[`, `?(`, `![`, `!(`}
)

// HasSentEndChars reports sentence-ending punctuation other than a final
// full stop.
func (p *punktWords) HasSentEndChars(t *sentences.Token) bool {
	for _, e := range sentEnders {
		if strings.HasSuffix(t.Tok, e) {
			return true
		}
	}
	for _, e := range sentParens {
		if strings.Contains(t.Tok, e) {
			return true
		}
	}
	return false
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
