package search

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// phraseArticles are the articles of TestPhrases, by name.
var phraseArticles = map[string]string{
	"council": " date 2023-03-06 Harbor council meets\n\nThe harbor council met on Monday. Storm damage to the river market was discussed.\n",
	// harbor and council, not next to each other.
	"apart": " date 2022-05-01 Market reopens by the river\n\nCouncil members said the harbor was calm. A new budget for the market of the river.\n",
	"stop":  " date 2021-09-10 Budget of the school\n\nTeachers asked for more. The school budget grew.\n",
	// drone patrol in the title only.
	"title": " date 2023-01-02 Drone patrol starts\n\nA patrol by drone began at the border.\n",
	"cjk":   " date 2023-09-12 漠河边境启用无人机巡逻\n\n边境地区开始使用新技术。\n",
	// Every bigram of 无人机巡逻, never in a row.
	"cjkApart": " date 2023-09-13 边境新闻\n\n无人机巡查。机巡逻队出发。\n",
}

func phraseStore(t *testing.T) (*store.DB, map[string]string) {
	db := testenv.OpenDB(t)
	names := map[string]string{} // ID → name
	for name, text := range phraseArticles {
		names[loadText(t, db, name+".txt", text)] = name
	}
	return db, names
}

// TestPhrases: phrases match words in a row, within one field, across
// stop words as typed, and exclusions exclude exactly the articles that
// hold the phrase.
func TestPhrases(t *testing.T) {
	db, names := phraseStore(t)
	ix := openIndex(t, db, "")
	tests := []struct {
		name, q  string
		want     []string // names, in any order
		anyWords bool
	}{
		{name: "phrase", q: `"harbor council"`, want: []string{"council"}},
		{name: "words apart do not match", q: `"council harbor"`},
		{name: "the words alone match both", q: `harbor council`, want: []string{"council", "apart"}},
		{name: "across stop words as typed", q: `"budget of the school"`, want: []string{"stop"}},
		{name: "a stop word's gap must be there", q: `"budget school"`},
		{name: "gaps must be as long", q: `"budget the school"`},
		{name: "reversed words", q: `"school budget"`, want: []string{"stop"}},
		{name: "title only", q: `"drone patrol"`, want: []string{"title"}},
		{name: "not across title and body", q: `"starts patrol"`},
		{name: "prefix in a phrase", q: `"river mark*"`, want: []string{"council"}},
		{name: "phrase then prefix across a stop word", q: `"market of the riv*"`, want: []string{"apart"}},
		{name: "prefix after a missing gap", q: `"market riv*"`},
		{name: "CJK phrase", q: `"无人机巡逻"`, want: []string{"cjk"}},
		{name: "CJK bigrams apart", q: `"人机巡逻"`, want: []string{"cjk"}},
		{name: "excluded phrase", q: `harbor -"harbor council"`, want: []string{"apart"}},
		{name: "excluded phrase whose words are apart", q: `market -"council harbor"`, want: []string{"council", "apart"}},
		{name: "phrase and date", q: `"harbor council" date:2023`, want: []string{"council"}},
		{name: "phrase outside the dates", q: `"harbor council" date:2022`},
		{name: "any-word fallback keeps the phrase", q: `"harbor council" xylophone`, want: []string{"council"}, anyWords: true},
		{name: "phrase and word", q: `"river market" storm`, want: []string{"council"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.q, Request{})
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.q, err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, names[h.ID])
			}
			sort.Strings(got)
			if want := slices.Sorted(slices.Values(tt.want)); !slices.Equal(got, want) {
				t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
			}
			if res.Total != len(tt.want) {
				t.Errorf("Search(%q): total %d, want %d", tt.q, res.Total, len(tt.want))
			}
			if len(tt.want) > 0 && res.AnyWords != tt.anyWords {
				t.Errorf("Search(%q): AnyWords %v", tt.q, res.AnyWords)
			}
		})
	}
}

// TestPhraseSnippetMarks: a phrase's words are marked in the snippet.
func TestPhraseSnippetMarks(t *testing.T) {
	db, _ := phraseStore(t)
	ix := openIndex(t, db, "")
	res, err := ix.Search(context.Background(), `"river market"`, Request{})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v, %+v", err, res)
	}
	if got := res.Hits[0].Snippet.Marked("[", "]"); !strings.Contains(got, "[river] [market]") {
		t.Errorf("snippet %q does not mark the phrase", got)
	}
}

// positionalMapping is the mapping of layout 1, which kept term positions
// and answered phrases from them.
func positionalMapping(t testing.TB) *mapping.IndexMappingImpl {
	im, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{fieldTitle, fieldBody} {
		im.DefaultMapping.Properties[f].Fields[0].IncludeTermVectors = true
	}
	return im
}

// openPositional opens an index of db in dir built with positionalMapping.
func openPositional(t *testing.T, db Store, dir string) *Index {
	t.Helper()
	ix := openIndex(t, db, dir)
	ix.im = positionalMapping(t)
	ix.docs = newDocMaker(ix.im, ix.an.withStemCache())
	must(t, ix.Rebuild(context.Background()))
	if !ix.positional() {
		t.Fatal("the index keeps no positions")
	}
	return ix
}

// phraseVocab is the vocabulary of TestPhrasesAsPositions' articles: few
// words, so that a phrase's words are often in an article but apart.
var phraseVocab = []string{"harbor", "council", "storm", "river", "market", "budget", "school", "patrol", "drone", "border", "village", "police", "meeting", "report", "water", "the", "of", "and", "in", "a"}

func phraseCorpus(rng *rand.Rand, n int) []string {
	words := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = phraseVocab[rng.Intn(len(phraseVocab))]
		}
		return strings.Join(ws, " ")
	}
	texts := make([]string, n)
	for i := range texts {
		header := ""
		if rng.Intn(4) > 0 {
			header = fmt.Sprintf(" date %d-%02d-%02d ", 2020+rng.Intn(4), 1+rng.Intn(12), 1+rng.Intn(28))
		}
		var body []string
		for range 2 + rng.Intn(5) {
			body = append(body, words(5+rng.Intn(11))+".")
		}
		texts[i] = fmt.Sprintf("%s%s n%d\n\n%s\n", header, words(2+rng.Intn(4)), i, strings.Join(body, " "))
	}
	return texts
}

// phraseQueries makes phrase queries: runs of words taken from the texts
// (which match), random words (which mostly are in articles but apart),
// prefixes, exclusions, dates and the any-word fallback.
func phraseQueries(rng *rand.Rand, texts []string, n int) []string {
	var qs []string
	for len(qs) < n {
		var words []string
		if rng.Intn(2) == 0 {
			ws := strings.Fields(strings.NewReplacer(".", "", "\n", " ").Replace(texts[rng.Intn(len(texts))]))
			k := 2 + rng.Intn(3)
			if len(ws) > k+3 {
				at := 3 + rng.Intn(len(ws)-k-3) // past the date
				words = ws[at : at+k]
			}
		} else {
			for range 2 + rng.Intn(2) {
				words = append(words, phraseVocab[rng.Intn(len(phraseVocab))])
			}
		}
		if len(words) < 2 {
			continue
		}
		phrase := strings.Join(words, " ")
		if last := words[len(words)-1]; rng.Intn(5) == 0 && len(last) > 3 {
			phrase = strings.TrimSuffix(phrase, last) + last[:3] + "*"
		}
		q := `"` + phrase + `"`
		other := phraseVocab[rng.Intn(15)]
		switch rng.Intn(8) {
		case 0:
			q = other + " -" + q
		case 1:
			q += " " + other
		case 2:
			q += fmt.Sprintf(" date:%d", 2020+rng.Intn(4))
		case 3:
			q += " xylophone"
		case 4:
			q += ` -"` + other + " " + phraseVocab[rng.Intn(15)] + `"`
		}
		qs = append(qs, q)
	}
	return qs
}

// TestPhrasesAsPositions: on a synthetic corpus, many phrase queries give
// exactly the hits, order, scores and totals of an index that keeps term
// positions (layout 1).
func TestPhrasesAsPositions(t *testing.T) {
	n, nq := 400, 300
	if testing.Short() {
		n, nq = 150, 100
	}
	rng := rand.New(rand.NewSource(7))
	db := testenv.OpenDB(t)
	texts := phraseCorpus(rng, n)
	for i, text := range texts {
		loadText(t, db, fmt.Sprintf("a%04d.txt", i), text)
	}
	ix := openIndex(t, db, "")
	old := openPositional(t, db, filepath.Join(t.TempDir(), "positional"))
	if ix.positional() {
		t.Fatal("the index keeps term positions")
	}
	found, rejected := 0, 0
	for _, q := range phraseQueries(rng, texts, nq) {
		got, want := allHits(t, ix, q), positionalHits(t, old, q)
		if got.String() != want.String() {
			t.Fatalf("Search(%q):\n got %s\nwant %s", q, got, want)
		}
		if want.err != "" {
			continue // only stop words
		}
		if want.total > 0 {
			found++
		}
		// Without quotes the words may be anywhere: more articles match.
		loose := allHits(t, old, strings.ReplaceAll(q, `"`, ""))
		if loose.total > want.total {
			rejected++
		}
	}
	t.Logf("%d queries: %d found something, %d were narrower than their words", nq, found, rejected)
	if found < nq/4 || rejected < nq/10 {
		t.Errorf("of %d queries %d found something and %d were narrower than their words: the corpus does not test phrases", nq, found, rejected)
	}
}

// excludedPhrase is an excluded phrase in a query.
var excludedPhrase = regexp.MustCompile(` -("[^"]*")`)

// positionalHits is allHits of the positional index, which cannot be
// asked for an excluded phrase: bleve's phrase searcher, used to exclude,
// excludes nothing once advanced (its Advance recycles the match it holds).
// The articles the phrase finds are taken out of the results of the rest
// of the query instead; exclusions leave scores as they are.
func positionalHits(t *testing.T, old *Index, q string) hitList {
	t.Helper()
	m := excludedPhrase.FindStringSubmatch(q)
	if full := allHits(t, old, q); m == nil || full.err != "" {
		return full
	}
	l := allHits(t, old, strings.Replace(q, m[0], "", 1))
	excluded := map[string]bool{}
	for _, h := range allHits(t, old, m[1]).hits {
		excluded[h.ID] = true
	}
	l.hits = slices.DeleteFunc(l.hits, func(h Hit) bool { return excluded[h.ID] })
	if l.total = len(l.hits); l.total == 0 {
		l.anyWords = false
	}
	return l
}

// hitList is every hit of a query, ties in ID order.
type hitList struct {
	err      string
	total    int
	anyWords bool
	hits     []Hit
}

func (l hitList) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "error %q total %d any %v:", l.err, l.total, l.anyWords)
	for _, h := range l.hits {
		fmt.Fprintf(&b, " %s=%.9g", h.ID, h.Score)
	}
	return b.String()
}

// allHits is every hit of q, all its candidates checked.
func allHits(t *testing.T, ix *Index, q string) hitList {
	t.Helper()
	var l hitList
	for page := 1; ; page++ {
		res, err := ix.Search(context.Background(), q, Request{Limit: MaxLimit, Page: page, NoSnippets: true, candidates: maxDepth})
		if res.About {
			t.Fatalf("Search(%q): total %d is an estimate", q, res.Total)
		}
		if err != nil {
			l.err = err.Error()
			return l
		}
		l.total, l.anyWords = res.Total, res.AnyWords
		l.hits = append(l.hits, res.Hits...)
		if len(res.Hits) < MaxLimit {
			break
		}
	}
	if len(l.hits) != l.total {
		t.Fatalf("Search(%q): total %d, %d hits on all pages", q, l.total, len(l.hits))
	}
	// Equal scores come in the index's internal order, which differs
	// between two builds.
	same := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(a) }
	sort.SliceStable(l.hits, func(i, j int) bool {
		a, b := l.hits[i], l.hits[j]
		if !same(a.Score, b.Score) {
			return a.Score > b.Score
		}
		return a.ID < b.ID
	})
	return l
}

// TestOpenRebuildsPositionalIndex: an index of layout 1 (with term
// positions) is rebuilt without them on open, and phrases still work.
func TestOpenRebuildsPositionalIndex(t *testing.T) {
	db, names := phraseStore(t)
	dir := filepath.Join(t.TempDir(), "index")
	old := openPositional(t, db, dir)
	must(t, old.Close())
	bi, err := bleve.OpenUsing(dir, map[string]any{"unsafe_batch": false})
	must(t, err)
	must(t, bi.SetInternal(keyMapping, []byte("1")))
	must(t, bi.Close())

	var p progressLog
	ix := openLogged(t, db, dir, &p)
	defer ix.Close()
	if got := p.rebuilds(); len(got) != 1 || !strings.Contains(got[0], "layout 1, this digestbot uses 2") {
		t.Errorf("rebuilds %q, want one for layout 1", got)
	}
	if ix.positional() {
		t.Error("the rebuilt index keeps term positions")
	}
	res, err := ix.Search(context.Background(), `"harbor council"`, Request{})
	if err != nil || res.Total != 1 || names[res.Hits[0].ID] != "council" {
		t.Errorf(`"harbor council" after the rebuild: %v, %+v`, err, res)
	}
}

// TestPhraseCandidatesBound: when a phrase has more candidates than are
// checked, Total is an estimate, and the first page is still the best
// articles that hold the phrase, with their exact scores.
func TestPhraseCandidatesBound(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	db := testenv.OpenDB(t)
	texts := phraseCorpus(rng, 150)
	for i, text := range texts {
		loadText(t, db, fmt.Sprintf("a%04d.txt", i), text)
	}
	ix := openIndex(t, db, "")
	ctx := context.Background()
	const q = `"harbor council"`
	all := allHits(t, ix, q)
	loose := allHits(t, ix, "harbor council")
	if all.total < 10 || loose.total < 2*all.total {
		t.Fatalf("%q: %d hits of %d candidates; the corpus does not test the bound", q, all.total, loose.total)
	}
	exact := map[string]float64{}
	for _, h := range all.hits {
		exact[h.ID] = h.Score
	}
	for _, candidates := range []int{20, 50} {
		res, err := ix.Search(ctx, q, Request{Limit: 10, NoSnippets: true, candidates: candidates})
		if err != nil {
			t.Fatal(err)
		}
		if !res.About || res.Total < len(res.Hits) || res.Total > loose.total || len(res.Hits) == 0 {
			t.Errorf("%d candidates: total %d (about %v), %d hits; %d hold the phrase of %d candidates", candidates, res.Total, res.About, len(res.Hits), all.total, loose.total)
		}
		t.Logf("%d candidates checked: total about %d (%d exactly)", candidates, res.Total, all.total)
		for i, h := range res.Hits {
			if score, ok := exact[h.ID]; !ok || math.Abs(score-h.Score) > 1e-9*score {
				t.Errorf("%d candidates: hit %s scored %g, holds the phrase %v with score %g", candidates, h.ID, h.Score, ok, score)
			}
			if i > 0 && h.Score > res.Hits[i-1].Score {
				t.Errorf("%d candidates: hit %d scores more than the one before", candidates, i)
			}
			if want := all.hits[i].Score; math.Abs(want-h.Score) > 1e-9*want {
				t.Errorf("%d candidates: hit %d scores %g, the %dth best %g", candidates, i, h.Score, i+1, want)
			}
		}
	}
	res, err := ix.Search(ctx, q, Request{Limit: 10, NoSnippets: true, candidates: loose.total})
	if err != nil || res.About || res.Total != all.total {
		t.Errorf("all candidates checked: %v, total %d (about %v), want %d exactly", err, res.Total, res.About, all.total)
	}
}

// TestPhraseFoundFarDown: a phrase held only by an article its words rank
// far below the first candidates checked is still found, and a search
// that finds nothing has checked every candidate (Total exact).
func TestPhraseFoundFarDown(t *testing.T) {
	db := testenv.OpenDB(t)
	// More articles full of both words, never in a row, than a search
	// checks at first (and than the 1,000 an earlier version stopped at);
	// one long article that has them in a row once, which ranks last.
	for i := range 1100 {
		loadText(t, db, fmt.Sprintf("loose%04d.txt", i), fmt.Sprintf("Story %d\n\nThe council met. The harbor froze. Council and harbor, harbor then council, council by the harbor %d.", i, i))
	}
	filler := strings.Repeat("Gulls circled the quiet town while fishermen mended nets. ", 60)
	loadText(t, db, "inrow.txt", "Quiet news\n\n"+filler+"The harbor council voted. "+filler)
	ix := openIndex(t, db, "")
	ctx := context.Background()
	for _, candidates := range []int{5, 20} {
		res, err := ix.Search(ctx, `"harbor council"`, Request{Limit: 10, NoSnippets: true, candidates: candidates})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || res.About || len(res.Hits) != 1 || res.Hits[0].Title != "Quiet news" {
			t.Errorf("%d candidates first: total %d (about %v), hits %+v; want the one article, exactly", candidates, res.Total, res.About, res.Hits)
		}
		res, err = ix.Search(ctx, `"council harbor"`, Request{Limit: 10, NoSnippets: true, candidates: candidates})
		if err != nil || res.Total != 0 || res.About {
			t.Errorf("%d candidates first, a phrase nobody holds: %v, total %d (about %v)", candidates, err, res.Total, res.About)
		}
	}
}
