package feed

import (
	"slices"

	"github.com/digestbot/digestbot/corpus"
)

// filter applies a feed's include and exclude lists the way digests do:
// an entry is a word or words, matched after analysis (so "patrols"
// matches "patrol"); an entry of several words matches when the article
// has all of them.
type filter struct {
	analyze          func(string) []string
	include, exclude [][]string
}

func newFilter(analyze func(string) []string, include, exclude []string) filter {
	f := filter{analyze: analyze}
	entries := func(words []string) [][]string {
		var out [][]string
		for _, w := range words {
			if terms := analyze(w); len(terms) > 0 {
				out = append(out, terms)
			}
		}
		return out
	}
	f.include, f.exclude = entries(include), entries(exclude)
	return f
}

func (f filter) keep(a corpus.Article) bool {
	if len(f.include) == 0 && len(f.exclude) == 0 {
		return true
	}
	terms := map[string]bool{}
	for _, t := range f.analyze(a.Title + "\n\n" + a.Body) {
		terms[t] = true
	}
	matches := func(entry []string) bool {
		for _, t := range entry {
			if !terms[t] {
				return false
			}
		}
		return true
	}
	if slices.ContainsFunc(f.exclude, matches) {
		return false
	}
	return len(f.include) == 0 || slices.ContainsFunc(f.include, matches)
}
