package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCollapsedRunes: the length IsBoilerplate judges by is counted
// without building the collapsed line, the same as building it.
func TestCollapsedRunes(t *testing.T) {
	for _, s := range []string{
		"", " ", "\t\n", "a", " a ", "a b", "a  b", " a\t\tb \n c ", "naïve  café",
		"a\u00a0\u2003b", "\u3000漠河\u3000市", "bad \xff\xfe bytes", "\xff", "a \u0085 b",
		strings.Repeat("word ", 60), strings.Repeat("w  ", 100),
	} {
		if got, want := collapsedRunes(s), utf8.RuneCountInString(collapse(s)); got != want {
			t.Errorf("collapsedRunes(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestIsBoilerplateLength: a line is judged by its length after spaces
// collapse, so padding does not hide furniture, and a long line is text.
func TestIsBoilerplateLength(t *testing.T) {
	pad := "Share this article" + strings.Repeat(" ", 300)
	if !IsBoilerplate(pad) {
		t.Errorf("IsBoilerplate(padded share line) = false")
	}
	long := "Share this " + strings.Repeat("x", maxBoilerplateRunes)
	if IsBoilerplate(long) {
		t.Errorf("IsBoilerplate(a line of %d runes) = true", utf8.RuneCountInString(long))
	}
	edge := "Share this " + strings.Repeat("x", maxBoilerplateRunes-len("Share this "))
	if !IsBoilerplate(edge) {
		t.Errorf("IsBoilerplate(a line of exactly %d runes) = false", maxBoilerplateRunes)
	}
}
