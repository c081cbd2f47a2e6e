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

// isBoilerplateRef is IsBoilerplate as it was before its fast paths (the
// line collapsed and folded whole, every word split out), to check them.
func isBoilerplateRef(line string) bool {
	s := strings.ToLower(strings.Join(strings.Fields(line), " "))
	if s == "" || utf8.RuneCountInString(s) > maxBoilerplateRunes {
		return false
	}
	if boilerplateLines[strings.TrimRight(s, " .:!|·•-–—")] {
		return true
	}
	for _, b := range boilerplateStarts {
		// A start ending in a letter must end a word: "advertisement",
		// not "advertisements for the fair".
		if strings.HasPrefix(s, b) && (len(s) == len(b) || !isASCIILetter(b[len(b)-1]) || !isASCIILetter(s[len(b)])) {
			return true
		}
	}
	if strings.Contains(s, "all rights reserved") || strings.Contains(s, "you are receiving this") ||
		strings.Contains(s, "subscribed to our") || strings.Contains(s, "because you subscribed") ||
		(strings.HasPrefix(s, "the post ") && strings.Contains(s, " appeared first on ")) ||
		(strings.HasSuffix(s, " min read") && len(strings.Fields(s)) <= 6) {
		return true
	}
	if strings.Contains(s, "unsubscribe") {
		for _, w := range [...]string{"click", "here", "link", "email", "e-mail", "list", "preferences", "at any time"} {
			if strings.Contains(s, w) {
				return true
			}
		}
	}
	// A share bar flattened to one line: "Facebook Twitter LinkedIn Email".
	words := strings.Fields(s)
	if len(words) >= 2 && len(words) <= 8 {
		social := 0
		for _, w := range words {
			if boilerplateLines[strings.Trim(w, ".,:|·•")] {
				social++
			}
		}
		if social == len(words) {
			return true
		}
	}
	return false
}

// FuzzIsBoilerplate: IsBoilerplate answers as isBoilerplateRef does.
func FuzzIsBoilerplate(f *testing.F) {
	for _, s := range []string{"Share this article", "Facebook  Twitter\tEmail", "5 min read", "x 5 min read",
		"All Rights Reserved.", "The post X appeared first on Y", "Click here to unsubscribe", "Photo: AP",
		"advertisements for the fair", strings.Repeat("w ", 130), "Share\u00a0this", "\xff share"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsBoilerplate(s), isBoilerplateRef(s); got != want {
			t.Fatalf("IsBoilerplate(%q) = %v, want %v", s, got, want)
		}
	})
}
