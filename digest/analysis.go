package digest

import (
	"hash/fnv"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Analyzer turns text into the terms search indexes: case-folded, stemmed
// tokens. digestbot passes search.Terms so that summaries, keyword filters
// and search agree on what a word is.
type Analyzer func(text string) []string

// analysisProbe is analysed to fingerprint an Analyzer: cached summaries
// and term counts made with a different analysis are not reused.
const analysisProbe = "The Running dogs' carvings were patrolled; Mohe 2023 4.936 无人机 naïve CAFÉ jumped-over"

// fingerprint identifies what an Analyzer does, as a short hex string.
func fingerprint(an Analyzer) string {
	h := fnv.New64a()
	for _, t := range an(analysisProbe) {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// stopText lists English function words. They carry no topic, so they are
// left out of sentence vectors; they are passed through the Analyzer so the
// set matches its stemming (an analyzer that already drops them gives an
// empty set).
const stopText = `a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours ourselves
out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves said says say one two first second
third fourth fifth many much well must may might shall us let`

// stopSet returns the analysed stop words.
func stopSet(an Analyzer) map[string]bool {
	out := map[string]bool{}
	for _, t := range an(stopText) {
		out[t] = true
	}
	return out
}

// termSet returns the distinct terms of text, without stop words.
func termSet(an Analyzer, stop map[string]bool, text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range an(text) {
		if !stop[t] {
			out[t] = true
		}
	}
	return out
}

// normalizeSentence returns s lower-cased with everything but letters and
// digits collapsed, for recognising the same sentence written twice.
func normalizeSentence(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if !isWordRune(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
