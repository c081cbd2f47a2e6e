package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCollapsedLonger: collapse copies only what needs collapsing, and
// the length IsBoilerplate judges by is compared without building the
// collapsed line, the same as building it.
func TestCollapsedLonger(t *testing.T) {
	for _, s := range []string{
		"", " ", "\t\n", "a", "a ", " a", " a ", "a b", "a  b", "a b c", "a\tb", " a\t\tb \n c ", "naïve  café",
		"a\u00a0\u2003b", "\u3000漠河\u3000市", "bad \xff\xfe bytes", "\xff", "a \u0085 b",
		strings.Repeat("word ", 60), strings.Repeat("w  ", 100),
	} {
		slow := strings.Join(strings.Fields(s), " ")
		if got := collapse(s); got != slow {
			t.Errorf("collapse(%q) = %q, want %q", s, got, slow)
		}
		n := utf8.RuneCountInString(slow)
		for _, limit := range []int{0, 1, max(n-1, 0), n, n + 1, 240} {
			if got, want := collapsedLonger(s, limit), n > limit; got != want {
				t.Errorf("collapsedLonger(%q, %d) = %v, want %v", s, limit, got, want)
			}
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

// FuzzCollapse: collapse and collapsedLonger agree with the plain
// definition on any text.
func FuzzCollapse(f *testing.F) {
	for _, s := range []string{"", " a  b ", "a\u00a0b", "\xff \xfe", "漠河\u3000市"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slow := strings.Join(strings.Fields(s), " ")
		if got := collapse(s); got != slow {
			t.Fatalf("collapse(%q) = %q, want %q", s, got, slow)
		}
		n := utf8.RuneCountInString(slow)
		for _, limit := range []int{0, max(n-1, 0), n} {
			if got := collapsedLonger(s, limit); got != (n > limit) {
				t.Fatalf("collapsedLonger(%q, %d) = %v", s, limit, got)
			}
		}
	})
}
