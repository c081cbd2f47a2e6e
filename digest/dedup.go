package digest

import (
	"strings"

	"github.com/digestbot/digestbot/corpus"
)

// Near-duplicates: the same story stored twice under different wording
// (two wire versions, a rewrite, a re-post with a new headline) shares its
// names, places and key nouns in the headline and the opening lines, while
// two different stories on one topic share only the topic's common words.
// So two articles are the same story when the IDF-weighted Jaccard
// similarity of the terms of their title and lead is at least
// dupThreshold: rare shared terms count for much, common ones for little.
// The threshold comes from the pairs in testdata/dups (see
// TestNearDuplicatePairs): the six same-story pairs scored 0.34–0.42, the
// six different-story pairs on one topic (same city, firm or event a day
// apart) 0.02–0.09; 0.2 sits in the middle of the gap.
const (
	dupThreshold = 0.2
	leadWords    = 60 // words of the body counted with the title
	// dupCompare bounds the groups one article is compared with in a day.
	dupCompare = 200
)

// leadTerms returns the distinct terms of a's title and the first
// leadWords words of its body, without stop words.
func leadTerms(an Analyzer, stop map[string]bool, a corpus.Article) map[string]bool {
	return termSet(an, stop, a.Title+"\n\n"+firstWords(a.Body, leadWords))
}

// firstWords returns the start of text up to its n-th space-separated word.
func firstWords(text string, n int) string {
	seen := 0
	for i, r := range text {
		if r == ' ' || r == '\n' {
			if seen++; seen >= n {
				return text[:i]
			}
		}
	}
	return text
}

// leadSimilarity is the IDF-weighted Jaccard similarity of two term sets.
func leadSimilarity(a, b map[string]bool, stats TermStats) float64 {
	n := stats.Docs()
	var inter, union float64
	for t := range a {
		w := idf(n, stats.DocFreq(t))
		union += w
		if b[t] {
			inter += w
		}
	}
	for t := range b {
		if !a[t] {
			union += idf(n, stats.DocFreq(t))
		}
	}
	if union == 0 {
		return 0
	}
	return inter / union
}

// groupDuplicates groups near-duplicate candidates, which are in display
// order. Each group lists indexes into cands, its first (the one shown)
// first; the groups are in the order of their first members. Only
// articles dated within a day of each other (or both undated) are
// compared, so grouping stays fast on large selections.
func groupDuplicates(cands []candidate, stats TermStats) [][]int {
	var groups [][]int
	byDay := map[int][]int{} // day number → indexes of groups whose first member is on that day
	for i, c := range cands {
		day := dayNumber(c.art.Date)
		best, bestSim := -1, dupThreshold
		for _, d := range []int{day, day - 1, day + 1} {
			if day < 0 && d != day {
				continue
			}
			list := byDay[d]
			if len(list) > dupCompare {
				list = list[len(list)-dupCompare:]
			}
			for _, g := range list {
				if sim := leadSimilarity(cands[groups[g][0]].lead, c.lead, stats); sim >= bestSim && (best < 0 || sim > bestSim || g < best) {
					best, bestSim = g, sim
				}
			}
		}
		if best >= 0 {
			groups[best] = append(groups[best], i)
			continue
		}
		byDay[day] = append(byDay[day], len(groups))
		groups = append(groups, []int{i})
	}
	return groups
}

// dayNumber numbers the first day of a date's span; -1 when undated.
func dayNumber(d corpus.Date) int {
	first, _, ok := d.Span()
	if !ok {
		return -1
	}
	return int(first.Unix() / 86400)
}

// alsoIn formats the near-duplicates of an item: "source (title)", …
func alsoIn(refs []Ref) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.Source
		if r.Title != "" {
			parts[i] += " (" + r.Title + ")"
		}
	}
	return strings.Join(parts, "; ")
}
