package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMoreRunes(t *testing.T) {
	for _, s := range []string{"", "a", "abcd", "abcde", "日本", "日本語", "日本語の", "\xff\xfe\xfd", "ab\xffc", strings.Repeat("é", 3)} {
		for n := range 6 {
			if got, want := moreRunes(s, n), utf8.RuneCountInString(s) > n; got != want {
				t.Errorf("moreRunes(%q, %d) = %v, want %v", s, n, got, want)
			}
		}
	}
}
