package search

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/apperr"
)

// Limits on what one query may ask for.
const (
	maxQueryBytes = 2000
	maxClauses    = 32
	minPrefixLen  = 2 // runes before the *
)

// QueryError is a query that cannot be run, with a message meant for the
// person who typed it. It unwraps to an *apperr.Error with the code
// apperr.Invalid, so callers that show users their mistakes need not know
// this type.
type QueryError struct {
	Query string
	Msg   string
}

func (e *QueryError) Error() string { return e.Msg }

// Unwrap returns the user-facing error.
func (e *QueryError) Unwrap() error { return &apperr.Error{Code: apperr.Invalid, Message: e.Msg} }

func queryErrorf(q, format string, args ...any) *QueryError {
	return &QueryError{Query: q, Msg: fmt.Sprintf(format, args...)}
}

type clauseKind uint8

const (
	kindWord   clauseKind = iota // a plain word
	kindPhrase                   // "words in a row"
	kindPrefix                   // prefix*
)

// clause is one part of a query as typed.
type clause struct {
	kind clauseKind
	text string // without quotes, minus sign or trailing *
	neg  bool   // -excluded
}

// dateOp is a from:, to: or date: filter as typed.
type dateOp struct {
	op    string // "from", "to" or "date"
	value string // a WHEN expression
}

// parsedQuery is a query split into its parts, before analysis.
type parsedQuery struct {
	clauses []clause
	dates   []dateOp
}

// The date operators a query may contain, as op:WHEN.
var dateOps = map[string]bool{"from": true, "to": true, "date": true}

// isQuote reports whether r opens or closes a phrase: straight or curly
// double quotes, as phones type them.
func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '«', '»':
		return true
	}
	return false
}

// isSyntax reports whether r is query syntax of search engines that this
// query language does not have (bleve's title:x^2 ~1 +must (group)). Typed
// by accident or out of habit, it separates words and means nothing more.
func isSyntax(r rune) bool {
	return strings.ContainsRune(`^~()[]{}\!&|=<>+:`, r)
}

// parseQuery splits a query into words, "phrases", -exclusions, prefix*
// words and date operators. It never fails on odd input: control
// characters, invalid UTF-8 and stray syntax become spaces, an unclosed
// quote runs to the end. The only errors are a query that is too long or
// asks for too much.
func parseQuery(q string) (parsedQuery, error) {
	var pq parsedQuery
	if len(q) > maxQueryBytes {
		return pq, queryErrorf(q, "query too long: %d bytes, at most %d; use a few distinctive words", len(q), maxQueryBytes)
	}
	// Control characters (newlines, tabs, NULs) and invalid bytes are spaces.
	q = strings.ToValidUTF8(q, " ")
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, q)

	rs := []rune(q)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' || rs[i] == '+' {
			neg = rs[i] == '-'
			i++
			if i >= len(rs) || unicode.IsSpace(rs[i]) {
				continue // a lone - or +
			}
		}
		if isQuote(rs[i]) {
			j := i + 1
			for j < len(rs) && !isQuote(rs[j]) {
				j++
			}
			text := strings.TrimSpace(string(rs[i+1 : j]))
			kind := kindPhrase
			if t := strings.TrimRight(text, "*"); t != text {
				kind, text = kindPrefix, strings.TrimSpace(t) // "bone carv*"
			}
			if text != "" {
				pq.clauses = append(pq.clauses, clause{kind: kind, text: text, neg: neg})
			}
			i = j + 1
			continue
		}
		j := i
		for j < len(rs) && !unicode.IsSpace(rs[j]) && !isQuote(rs[j]) {
			j++
		}
		word := string(rs[i:j])
		i = j
		if op, value, ok := strings.Cut(word, ":"); ok && dateOps[strings.ToLower(op)] && !neg {
			if value == "" && i < len(rs) && isQuote(rs[i]) {
				// date:"2023-01 .. 2023-03"
				k := i + 1
				for k < len(rs) && !isQuote(rs[k]) {
					k++
				}
				value = string(rs[i+1 : k])
				i = k + 1
			}
			if value = strings.TrimSpace(value); value != "" {
				pq.dates = append(pq.dates, dateOp{op: strings.ToLower(op), value: value})
				continue
			}
		}
		pq.addWord(word, neg)
	}
	if n := len(pq.clauses); n > maxClauses {
		return pq, queryErrorf(q, "too many words: %d; use at most %d", n, maxClauses)
	}
	return pq, nil
}

// fieldNames are field prefixes of other search engines' syntax (title:x):
// digestbot always searches titles and bodies, so they are dropped.
var fieldNames = map[string]bool{"title": true, "body": true, "text": true, "content": true, "_all": true}

// boostRE matches boost and fuzziness suffixes (word^2, word~1).
var boostRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[\^~][0-9.]*`) })

// addWord adds a typed word, which syntax characters may split into
// several.
func (pq *parsedQuery) addWord(word string, neg bool) {
	if field, rest, ok := strings.Cut(word, ":"); ok && fieldNames[strings.ToLower(field)] {
		word = rest
	}
	word = boostRE().ReplaceAllString(word, " ")
	parts := strings.FieldsFunc(word, func(r rune) bool { return isSyntax(r) || unicode.IsSpace(r) })
	for _, p := range parts {
		kind := kindWord
		p = strings.TrimLeft(p, "*")
		if t := strings.TrimRight(p, "*"); t != p {
			kind, p = kindPrefix, t
		}
		p = strings.ReplaceAll(p, "*", " ") // an inner * separates words
		if strings.TrimSpace(p) == "" {
			continue
		}
		c := clause{kind: kind, text: p, neg: neg}
		if !slices.Contains(pq.clauses, c) {
			pq.clauses = append(pq.clauses, c)
		}
	}
}

// unit is one analysed part of a query: what the index is asked for.
type unit struct {
	label string // as typed, for messages
	// phrase holds the terms position by position: one slot is a single
	// word; several are a phrase; an empty slot is a stop word's gap.
	phrase [][]string
	// prefix is set for prefix* units: the lower-cased, unstemmed start of
	// the words wanted; stems are the stems of complete words that begin
	// with it, where stemming shortened it (educat* → educ).
	prefix string
	stems  []string
	// gap is the number of stop words between a phrase and its prefix*
	// ("market of the riv*": 2).
	gap int
}

// plan is a query ready to run: the units every result must match, the
// ones no result may match, and the days results must lie within.
type plan struct {
	must, not []unit
	dates     *corpus.Range
	ignored   []string // words too common to be indexed
}

// makePlan analyses a parsed query with the index's analyzers. extra are
// date operators given outside the query text (command-line flags).
// now is the clock for relative dates (today, last-week).
func makePlan(q string, pq parsedQuery, extra []dateOp, a analyzers, now time.Time) (plan, error) {
	var p plan
	for _, c := range pq.clauses {
		u, ok := analyse(c, a)
		if !ok {
			p.ignored = append(p.ignored, c.text)
			continue
		}
		if u.prefix != "" && utf8.RuneCountInString(u.prefix) < minPrefixLen {
			return p, queryErrorf(q, "%q is too short to complete: give at least %d letters before the *", c.text+"*", minPrefixLen)
		}
		if c.neg {
			p.not = append(p.not, u)
		} else {
			p.must = append(p.must, u)
		}
	}
	dates := append(slices.Clone(extra), pq.dates...)
	if len(dates) > 0 {
		r := corpus.Unbounded()
		for _, d := range dates {
			w, err := corpus.ParseWhen(d.value, now)
			if err != nil {
				return p, queryErrorf(q, "%s: %v", d.op, err)
			}
			if d.op != "to" && w.From.After(r.From) {
				r.From = w.From
			}
			if d.op != "from" && w.To.Before(r.To) {
				r.To = w.To
			}
		}
		if r.From.After(r.To) {
			return p, queryErrorf(q, "the date filters leave no days: results would have to be from %s and to %s",
				r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
		}
		p.dates = &r
	}
	if len(p.must) == 0 {
		switch {
		case len(pq.clauses) == 0 && len(dates) == 0:
			return p, queryErrorf(q, "empty query: type a few words to search for")
		case len(pq.clauses) == 0:
			return p, queryErrorf(q, "no words to search for: a date filter alone is not a search; add a word")
		case len(p.not) > 0 || hasNeg(pq.clauses):
			return p, queryErrorf(q, "nothing to search for: every word is excluded with -; add a word to look for")
		default:
			return p, queryErrorf(q, "%s too common to search for; add a more specific word", quoteList(p.ignored))
		}
	}
	return p, nil
}

func hasNeg(cs []clause) bool {
	for _, c := range cs {
		if c.neg {
			return true
		}
	}
	return false
}

func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	if len(q) == 1 {
		return q[0] + " is"
	}
	return strings.Join(q, ", ") + " are all"
}

// prefixCompletions are endings tried on a prefix to find the stems of the
// words it starts: stemming may cut into the prefix itself (education and
// educated are indexed as educ, so educat* must also find educ; party is
// indexed as parti).
var prefixCompletions = []string{"", "s", "e", "es", "ed", "ing", "ion", "ions", "ation", "er", "ers", "y", "ies", "ly", "ment", "ness", "al", "ity", "ive"}

// analyse turns a clause into a unit; ok is false when nothing of it is
// indexed (stop words, punctuation).
func analyse(c clause, a analyzers) (unit, bool) {
	u := unit{label: c.text}
	switch c.kind {
	case kindPrefix:
		tokens := a.surface.Analyze([]byte(c.text))
		if len(tokens) == 0 {
			return u, false
		}
		// Words before the last are ordinary words of a phrase
		// ("state-of-the*"); the last is the prefix.
		last := tokens[len(tokens)-1]
		if len(tokens) > 1 {
			full := a.full.Analyze([]byte(c.text[:last.Start]))
			u.phrase = phraseOf(full)
			if len(full) > 0 {
				// The surface analyzer numbers positions as the full one
				// does (it only keeps the stop words).
				u.gap = max(last.Position-full[len(full)-1].Position-1, 0)
			}
		}
		u.prefix = string(last.Term)
		for _, end := range prefixCompletions {
			for _, t := range a.full.Analyze([]byte(u.prefix + end)) {
				s := string(t.Term)
				if !strings.HasPrefix(s, u.prefix) && !slices.Contains(u.stems, s) {
					u.stems = append(u.stems, s)
				}
			}
		}
		// A prefix that is no word the stemmer knows may have lost its last
		// letter to stemming (carving is indexed as carv, so carvi* wants
		// carv); one that stems to something else is a word of its own
		// (party, parti) and must not match a shorter one (part).
		if r := []rune(u.prefix); len(r) >= 5 {
			if ts := a.full.Analyze([]byte(u.prefix)); len(ts) == 1 && string(ts[0].Term) == u.prefix {
				u.stems = append(u.stems, string(r[:len(r)-1]))
			}
		}
		return u, true
	default:
		tokens := a.full.Analyze([]byte(c.text))
		if len(tokens) == 0 {
			return u, false
		}
		u.phrase = phraseOf(tokens)
		return u, true
	}
}

// phraseOf lays tokens out by position, leaving empty slots for removed
// stop words between them.
func phraseOf(tokens []*analysisToken) [][]string {
	if len(tokens) == 0 {
		return nil
	}
	first, last := tokens[0].Position, tokens[0].Position
	for _, t := range tokens {
		first, last = min(first, t.Position), max(last, t.Position)
	}
	out := make([][]string, last-first+1)
	for _, t := range tokens {
		s := string(t.Term)
		if i := t.Position - first; !slices.Contains(out[i], s) {
			out[i] = append(out[i], s)
		}
	}
	return out
}
