package digest

import (
	"strings"
	"testing"

	"gopkg.in/neurosnap/sentences.v1"
	"gopkg.in/neurosnap/sentences.v1/english"

	"github.com/digestbot/digestbot/internal/testenv"
)

// punktTokens are tokens the word tokenizer's questions are asked about.
var punktTokens = []string{
	"", ".", "..", "...", "a", "A.", "a.", "Ab.", "U.S.", "e.g.", "No.", "5.", "-5", "-.5", ",5", "1,000",
	"1,000.", "$1,000.50", "x-1.", "abc-12,3.4-", "--1", "-,1", "9-", ".5.", "v2.0", "2023.", "(2023).",
	"said.\"", "said.'", "it.)", "what?", "what?\"", "why?”", "no!", "no!’", "up.”", "up.’", "a.[1]", "a.(b",
	"Ünïcode.", "élan", "Élan.", "ΣΊΣΥΦΟΣ.", "漠河市。", "\xff.", "A_b", "_.", "##number##", "##number##.",
	"ab,cd", ",", ",.", "Mr.", "MR.", "x.y.z.", "1.2.3", "Jr.,", "—", "…", "“Quote.”", "it's.", "O'Neil.",
}

// TestPunktWordsAgree: punktWords answers every question about a token
// as the module's English word tokenizer does.
func TestPunktWordsAgree(t *testing.T) {
	toks := append([]string(nil), punktTokens...)
	for _, a := range testenv.SampleArticles(t) {
		toks = append(toks, strings.Fields(a.Body)...)
	}
	for _, tok := range toks {
		for _, brk := range []bool{false, true} {
			if d := punktDisagree(tok, brk); d != "" {
				t.Errorf("token %q (break %v): %s", tok, brk, d)
			}
		}
	}
	ref := english.NewWordTokenizer(sentences.NewPunctStrings())
	fast := newPunktWords()
	for _, a := range testenv.SampleArticles(t) {
		for _, only := range []bool{false, true} {
			want, got := ref.Tokenize(a.Body, only), fast.Tokenize(a.Body, only)
			if len(want) != len(got) {
				t.Fatalf("%s: %d tokens, want %d", a.Source, len(got), len(want))
			}
			for i := range want {
				if *want[i] != *got[i] {
					t.Errorf("%s: token %d is %v, want %v", a.Source, i, got[i], want[i])
				}
			}
		}
	}
}

// punktDisagree returns how punktWords and english.WordTokenizer answer
// differently about tok, or "".
func punktDisagree(tok string, brk bool) string {
	ref := english.NewWordTokenizer(sentences.NewPunctStrings())
	fast := newPunktWords()
	a, b := sentences.NewToken(tok), sentences.NewToken(tok)
	a.SentBreak, b.SentBreak = brk, brk
	var diffs []string
	str := func(name, want, got string) {
		if want != got {
			diffs = append(diffs, name+": "+got+", want "+want)
		}
	}
	flag := func(name string, want, got bool) {
		if want != got {
			diffs = append(diffs, name)
		}
	}
	str("Type", ref.Type(a), fast.Type(b))
	str("TypeNoPeriod", ref.TypeNoPeriod(a), fast.TypeNoPeriod(b))
	str("TypeNoSentPeriod", ref.TypeNoSentPeriod(a), fast.TypeNoSentPeriod(b))
	flag("FirstUpper", ref.FirstUpper(a), fast.FirstUpper(b))
	flag("FirstLower", ref.FirstLower(a), fast.FirstLower(b))
	flag("IsAlpha", ref.IsAlpha(a), fast.IsAlpha(b))
	flag("IsEllipsis", ref.IsEllipsis(a), fast.IsEllipsis(b))
	flag("IsInitial", ref.IsInitial(a), fast.IsInitial(b))
	flag("IsNumber", ref.IsNumber(a), fast.IsNumber(b))
	flag("IsNonPunct", ref.IsNonPunct(a), fast.IsNonPunct(b))
	flag("HasPeriodFinal", ref.HasPeriodFinal(a), fast.HasPeriodFinal(b))
	flag("HasSentEndChars", ref.HasSentEndChars(a), fast.HasSentEndChars(b))
	flag("HasSentencePunct", sentences.NewPunctStrings().HasSentencePunct(tok), newPunktPunct().HasSentencePunct(tok))
	return strings.Join(diffs, "; ")
}

// FuzzPunktWords: punktWords agrees with the module's English word
// tokenizer on any token.
func FuzzPunktWords(f *testing.F) {
	for _, tok := range punktTokens {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, brk := range []bool{false, true} {
			if d := punktDisagree(tok, brk); d != "" {
				t.Fatalf("token %q (break %v): %s", tok, brk, d)
			}
		}
	})
}
