package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// The ASCII fast path must make exactly search.Terms's terms.
func TestAnalyzerMatchesSearchTerms(t *testing.T) {
	tests := []string{
		"",
		"The patrols were patrolling; it's John's car.",
		"a_b _ __ a__ _a 1_2",
		"a:b a.b a'b a;b 1,2 1.2 1;2 1'2 1:2 a.1 1.a",
		"john's it's e.g. u.s.a. x'y'z",
		"foo-bar 2021-05-18 abc123 12abc 4.936 1,000,000",
		"a''b a..b 1..2 A.B.C. don't won't ''a'' a' 's",
		"  tabs\tand\nnewlines\r\nCRLF",
		"UPPER Case MiXeD running runs ran",
		" date 2021-05-18 sarsarzen lintusarbal number 0",
		"café naïve — unicode falls back",
		"東京で会議 CJK bigrams",
	}
	for _, text := range tests {
		if got, want := analyzeTerms(text), search.Terms(text); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Errorf("analyze(%q) = %q, search.Terms = %q", text, got, want)
		}
	}
}

func FuzzAnalyzer(f *testing.F) {
	f.Add("john's e.g. 1,000 a_b don't")
	f.Add("x:y 1;2 a.1")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			// Article text is valid UTF-8 (corpus makes it so); bleve's
			// CJK filter panics on invalid bytes.
			t.Skip()
		}
		if got, want := analyzeTerms(text), search.Terms(text); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Errorf("analyze(%q) = %q, search.Terms = %q", text, got, want)
		}
	})
}

// FuzzIndexFile opens damaged index files and searches them: every
// damage must give an error or some answer, never a crash.
func FuzzIndexFile(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "corpus")
	if _, err := synth.New(1, 300).WriteFiles(dir, 20); err != nil {
		f.Fatal(err)
	}
	paths, err := corpusFiles(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, positions := range []bool{false, true} {
		out := filepath.Join(f.TempDir(), "ix")
		if err := build(context.Background(), fileSource{dir, paths}, out, f.TempDir(), buildOptions{workers: 1, batch: 7, positions: positions}); err != nil {
			f.Fatal(err)
		}
		good, err := os.ReadFile(out)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(good)
		f.Add(good[:headerSize])
	}
	queries := synth.New(1, 300).Queries(2, 8, 0, 100)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "ix")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ix, err := openIndex(path)
		if err != nil {
			return
		}
		defer ix.Close()
		s := newSearcher(bleveBM25, ix)
		for _, q := range queries {
			top, _, _ := s.search(q, 10)
			for _, h := range top {
				s.key(h.doc)
			}
		}
	})
}

// writeCorpus writes n synthetic articles, as bench/search.sh does.
func writeCorpus(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if _, err := synth.New(1, 2000).WriteFiles(dir, n); err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildIndex(t *testing.T, dir string, opts buildOptions) string {
	t.Helper()
	paths, err := corpusFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return buildPaths(t, dir, paths, opts)
}

func buildPaths(t *testing.T, dir string, paths []string, opts buildOptions) string {
	t.Helper()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "ix")
	if err := build(context.Background(), fileSource{dir, paths}, out, tmp, opts); err != nil {
		t.Fatal(err)
	}
	return out
}

// The index is the same file however the documents are split into
// segments and however many builders make them.
func TestBuildIndependentOfBatches(t *testing.T) {
	dir := writeCorpus(t, 120)
	for _, positions := range []bool{false, true} {
		one, err := os.ReadFile(buildIndex(t, dir, buildOptions{workers: 1, batch: 1000, positions: positions}))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []buildOptions{{workers: 2, batch: 7}, {workers: 3, batch: 1}, {workers: 2, batch: 60}, {workers: 2, batch: 5, maxWords: 50}} {
			o.positions = positions
			many, err := os.ReadFile(buildIndex(t, dir, o))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(one, many) {
				t.Errorf("workers %d, batch %d, positions %v: index differs from one segment's", o.workers, o.batch, positions)
			}
		}
	}
}

// bruteDoc is a document analysed directly, for the reference scorer.
type bruteDoc struct {
	key  string
	tf   [2]map[string]int
	lens [2]int
}

// bruteStats returns the average field lengths and the document
// frequencies of the terms per field.
func bruteStats(docs []bruteDoc) (avg [2]float64, df [2]map[string]int) {
	df = [2]map[string]int{{}, {}}
	for _, d := range docs {
		for f := range 2 {
			avg[f] += float64(d.lens[f]) / float64(len(docs))
			for term := range d.tf[f] {
				df[f][term]++
			}
		}
	}
	return avg, df
}

// bruteSearch scores every document against the query, straight from
// the text: the reference the index must agree with.
func bruteSearch(docs []bruteDoc, q string, mode scoring, limit int) (top []hit, total int, anyWords bool) {
	terms := analyzeTerms(q)
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if len(terms) == 0 {
		return nil, 0, false
	}
	avg, df := bruteStats(docs)
	score := func(d bruteDoc, term string) (float64, bool) {
		var sc float64
		found := 0
		for f := range 2 {
			tf := float64(d.tf[f][term])
			if tf == 0 {
				continue
			}
			found++
			n, m := float64(len(docs)), float64(df[f][term])
			idf := math.Log(1 + (n-m+0.5)/(m+0.5))
			l := float64(d.lens[f])
			if mode == bleveBM25 {
				norm := float64(float32(1 / math.Sqrt(max(l, 1))))
				tf = math.Sqrt(tf)
				sc += boosts[f] * idf * idf * tf * k1 / (tf + k1*(1-bm25B+bm25B*(1/(norm*norm))/avg[f]))
			} else {
				sc += boosts[f] * idf * tf * (k1 + 1) / (tf + k1*(1-bm25B+bm25B*l/avg[f]))
			}
		}
		if mode == bleveBM25 && found == 1 {
			sc /= 2
		}
		return sc, found > 0
	}
	for _, anyMode := range []bool{false, true} {
		if anyMode && (total > 0 || len(terms) < 2) {
			break
		}
		var all []hit
		for i, d := range docs {
			var sum float64
			matched := 0
			for _, term := range terms {
				if sc, ok := score(d, term); ok {
					sum += sc
					matched++
				}
			}
			if matched == len(terms) || anyMode && matched > 0 {
				if anyMode && mode == bleveBM25 {
					sum *= float64(matched) / float64(len(terms))
				}
				all = append(all, hit{uint32(i), sum})
			}
		}
		top, total, anyWords = topN(all, limit), len(all), anyMode
	}
	return top, total, anyWords
}

func TestSearchMatchesBruteForce(t *testing.T) {
	dir := writeCorpus(t, 300)
	var ixs []*index
	for _, positions := range []bool{false, true} {
		ix, err := openIndex(buildIndex(t, dir, buildOptions{workers: 2, batch: 41, positions: positions}))
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if ix.positions != positions {
			t.Fatalf("index built with positions %v says %v", positions, ix.positions)
		}
		ixs = append(ixs, ix)
	}
	paths, _ := corpusFiles(dir)
	docs := make([]bruteDoc, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ti, bo := splitArticle(data)
		docs[i].key, _ = filepath.Rel(dir, p)
		for f, text := range [2][]byte{ti, bo} {
			docs[i].tf[f] = map[string]int{}
			for _, term := range search.Terms(string(text)) {
				docs[i].tf[f][term]++
				docs[i].lens[f]++
			}
		}
	}
	g := synth.New(1, 2000)
	queries := append(g.Queries(2, 60, 20, 600), "number 7", "nosuchword", "the", "nosuchword "+g.Vocab()[30])
	for k, mode := range []scoring{bleveBM25, plainBM25, bleveBM25} {
		ix := ixs[k/2] // the last round searches the index with positions
		s := newSearcher(mode, ix)
		anyCount := 0
		for _, q := range queries {
			got, gotTotal, gotAny := s.search(q, 10)
			want, wantTotal, wantAny := bruteSearch(docs, q, mode, 10)
			if gotTotal != wantTotal || gotAny != wantAny || len(got) != len(want) {
				t.Fatalf("mode %d, %q: %d hits (total %d, any %v), want %d (total %d, any %v)", mode, q, len(got), gotTotal, gotAny, len(want), wantTotal, wantAny)
			}
			if gotAny {
				anyCount++
			}
			for i := range got {
				if got[i].doc != want[i].doc || math.Abs(got[i].score-want[i].score) > 1e-9*want[i].score {
					t.Errorf("mode %d, %q: hit %d is %v, want %v", mode, q, i, got[i], want[i])
				}
				if key := ix.key(got[i].doc); key != docs[got[i].doc].key {
					t.Errorf("doc %d key %q, want %q", got[i].doc, key, docs[got[i].doc].key)
				}
			}
		}
		if anyCount == 0 {
			t.Errorf("mode %d: no query fell back to any word: the test does not cover it", mode)
		}
	}
}

// An index in parts answers as the one index of their documents does.
func TestPartsAnswerAsOneIndex(t *testing.T) {
	dir := writeCorpus(t, 200)
	paths, err := corpusFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := buildOptions{workers: 2, batch: 30}
	open := func(paths []string) *index {
		ix, err := openIndex(buildPaths(t, dir, paths, opts))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		return ix
	}
	one := open(paths)
	parts := []*index{open(paths[:70]), open(paths[70:71]), open(paths[71:])}
	g := synth.New(1, 2000)
	queries := append(g.Queries(3, 60, 20, 600), "number 70", "nosuchword "+g.Vocab()[30])
	for _, mode := range []scoring{bleveBM25, plainBM25} {
		a, b := newSearcher(mode, one), newSearcher(mode, parts...)
		for _, q := range queries {
			want, wantTotal, wantAny := a.search(q, 10)
			got, gotTotal, gotAny := b.search(q, 10)
			if gotTotal != wantTotal || gotAny != wantAny || len(got) != len(want) {
				t.Fatalf("mode %d, %q: parts give %d hits (total %d, any %v), one index %d (total %d, any %v)", mode, q, len(got), gotTotal, gotAny, len(want), wantTotal, wantAny)
			}
			for i := range got {
				if got[i].doc != want[i].doc || math.Abs(got[i].score-want[i].score) > 1e-9*want[i].score || b.key(got[i].doc) != a.key(want[i].doc) {
					t.Errorf("mode %d, %q: hit %d is %v %s, want %v %s", mode, q, i, got[i], b.key(got[i].doc), want[i], a.key(want[i].doc))
				}
			}
		}
	}
}

// An index built from a digestbot database holds what the one built from
// the corpus files holds: the same documents match, with the same scores
// (in another doc order: the store's is by article ID).
func TestStoreSourceMatchesFiles(t *testing.T) {
	dir := writeCorpus(t, 80)
	files, errs := corpus.Collect([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := ingest.Run(ctx, db, files, ingest.Options{}, func(ingest.Result) {}); err != nil {
		t.Fatal(err)
	}
	ids, err := db.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ix")
	if err := build(ctx, storeSource{ctx, db, ids}, out, t.TempDir(), buildOptions{workers: 2, batch: 9}); err != nil {
		t.Fatal(err)
	}
	fromStore, err := openIndex(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fromStore.Close()
	fromFiles, err := openIndex(buildIndex(t, dir, buildOptions{workers: 2, batch: 9}))
	if err != nil {
		t.Fatal(err)
	}
	defer fromFiles.Close()
	a, b := newSearcher(bleveBM25, fromFiles), newSearcher(bleveBM25, fromStore)
	all := func(s *searcher, q string) map[string]float64 {
		top, _, _ := s.search(q, 1000)
		m := map[string]float64{}
		for _, h := range top {
			m[filepath.Base(s.key(h.doc))] = h.score
		}
		return m
	}
	for _, q := range synth.New(1, 2000).Queries(4, 30, 20, 600) {
		want, got := all(a, q), all(b, q)
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("%q: %d hits from the store, %d from the files", q, len(got), len(want))
		}
		for k, w := range want {
			if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9*w {
				t.Errorf("%q: %s scores %v from the store, %v from the files", q, k, g, w)
			}
		}
	}
}

func TestOverlap(t *testing.T) {
	o, err := overlap([]string{"a b c", "x y", ""}, []string{"a b c", "y z", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := Overlap{Queries: 3, Mean: (1 + 0.5 + 1) / 3, Same: 2, SameSet: 2, Top1: 1}
	if math.Abs(o.Mean-want.Mean) > 1e-12 {
		t.Errorf("mean %v, want %v", o.Mean, want.Mean)
	}
	o.Mean = want.Mean
	if o != want {
		t.Errorf("overlap = %+v, want %+v", o, want)
	}
	if _, err := overlap([]string{"a"}, nil); err == nil {
		t.Error("different query counts: no error")
	}
}

// BenchmarkAnalyze measures the analysis of the indexing loop on
// bench/search.sh's kind of text, per article.
func BenchmarkAnalyze(b *testing.B) {
	g := synth.New(1, 30000)
	arts := make([][]byte, 2000)
	for i := range arts {
		arts[i] = []byte(g.Article(i))
	}
	a := newAnalyzer()
	for _, art := range arts {
		a.analyze(art, func(int32) {})
	}
	n := 0
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := 0; i < b.N; i++ {
		a.analyze(arts[i%len(arts)], func(int32) { n++ })
	}
	// CPU time, not wall time: on a shared machine it is the steadier.
	b.ReportMetric((cpuSeconds()-cpu)*1e9/float64(n), "cpu-ns/token")
}
