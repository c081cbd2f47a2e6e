// Package termsafe makes text from files and file names safe to print to
// a terminal: a name holding a newline must not split an output line, nor
// one holding an escape sequence recolour or rewrite the operator's screen.
package termsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name returns s as it is when every character prints as itself, and
// otherwise quoted Go-style ("a\nb", "\x1b[31m"), so the reader sees what
// is really there. Names with spaces or non-ASCII letters stay as they are.
func Name(s string) string {
	if Plain(s) {
		return s
	}
	return strconv.Quote(s)
}

// Plain reports whether s is valid UTF-8 free of control and format
// characters (newlines, escapes, bidirectional overrides), so it prints
// as itself.
func Plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unsafe(r)
	})
}

// Text returns s with its control and format characters escaped
// (\n, \x1b, \u202e) and the rest as it is: for one-line output of text
// taken from files, such as a title.
func Text(s string) string {
	if Plain(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !isRealRuneError(s[i:]):
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafe(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Lines is Text for output of several lines: newlines and tabs stay as
// they are, every other control or format character is escaped.
func Lines(s string) string {
	if Plain(strings.NewReplacer("\n", "", "\t", "").Replace(s)) {
		return s
	}
	var b strings.Builder
	for _, part := range strings.SplitAfter(s, "\n") {
		line, nl := strings.CutSuffix(part, "\n")
		for i, field := range strings.Split(line, "\t") {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(Text(field))
		}
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// isRealRuneError reports whether s starts with an encoded U+FFFD rather
// than an invalid byte.
func isRealRuneError(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError && n == 3
}

// unsafe reports whether r does something other than print itself.
func unsafe(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}
