package bot

import (
	"strings"
	"unicode/utf16"
)

// Len is the length of s as Discord measures its limits: in UTF-16 code
// units (what its clients count; an emoji outside the BMP counts 2), after
// leading and trailing white space is trimmed, as Discord trims it
// (discord-api-docs resources/message#embed-object-embed-limits). Every
// limit in this package is checked with Len.
func Len(s string) int {
	return utf16Len(strings.TrimSpace(s))
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// byteIndexOfUnits returns the byte index in s after its first n UTF-16
// code units (never inside a character).
func byteIndexOfUnits(s string, n int) int {
	units := 0
	for i, r := range s {
		if units+utf16.RuneLen(r) > n {
			return i
		}
		units += utf16.RuneLen(r)
	}
	return len(s)
}
