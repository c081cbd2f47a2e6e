package search

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// TestMergePolicy plays a rebuild's merges on segment sizes alone: no
// merge makes a segment over the limit, none merges more files than the
// fan-in (but the last, of what is left), and the final segments are few.
func TestMergePolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   mergePolicy
		docs     int // articles, in batches of batch
		batch    int
		want     []int // final segment sizes, largest first
		maxMerge int   // most articles written per article (merge passes + 1)
	}{
		{"one batch", defaultMergePolicy, 100, 250, []int{100}, 1},
		{"10k", defaultMergePolicy, 10_000, 250, []int{10_000}, 3},
		{"50k", defaultMergePolicy, 50_000, 250, []int{50_000}, 3},
		{"200k", defaultMergePolicy, 200_000, 250, []int{64_000, 64_000, 64_000, 8_000}, 3},
		{"200k in batches of 1,000", defaultMergePolicy, 200_000, 1_000, []int{64_000, 64_000, 56_000, 16_000}, 3},
		{"batches over the limit", mergePolicy{fanIn: 4, maxDocs: 100}, 1_000, 300, []int{300, 300, 300, 100}, 1},
		{"small", mergePolicy{fanIn: 3, maxDocs: 50}, 300, 10, []int{30, 30, 30, 30, 30, 30, 30, 30, 30, 30}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var segs []builtSegment
			written := 0 // articles written, counting each merge's output
			merge := func(group []builtSegment) builtSegment {
				out := builtSegment{level: group[0].level + 1}
				for _, s := range group {
					out.docs += s.docs
				}
				if out.docs > tc.policy.maxDocs {
					t.Errorf("a merge made a segment of %d articles, over %d", out.docs, tc.policy.maxDocs)
				}
				written += out.docs
				return out
			}
			for left := tc.docs; left > 0; left -= tc.batch {
				segs = append(segs, builtSegment{docs: min(left, tc.batch)})
				written += min(left, tc.batch)
				for group := tc.policy.due(segs); group != nil; group = tc.policy.due(segs) {
					if len(group) > tc.policy.fanIn {
						t.Fatalf("merge of %d files, fan-in %d", len(group), tc.policy.fanIn)
					}
					in := make([]builtSegment, len(group))
					for k, i := range group {
						in[k] = segs[i]
					}
					segs[group[0]] = merge(in)
					for k := len(group) - 1; k >= 1; k-- {
						segs = slices.Delete(segs, group[k], group[k]+1)
					}
				}
			}
			var got []int
			total := 0
			for _, g := range tc.policy.finalGroups(segs) {
				out := g[0]
				if len(g) > 1 {
					out = merge(g)
				}
				got = append(got, out.docs)
				total += out.docs
			}
			slices.Sort(got)
			slices.Reverse(got)
			if !slices.Equal(got, tc.want) || total != tc.docs {
				t.Errorf("final segments %v, want %v", got, tc.want)
			}
			if passes := float64(written) / float64(tc.docs); passes > float64(tc.maxMerge) {
				t.Errorf("each article written %.2f times, want at most %d", passes, tc.maxMerge)
			}
		})
	}
}

// An index rebuilt as many small segments finds the same articles with
// the same scores as one rebuilt as one segment, opens again, and takes
// changes.
func TestRebuildSeveralSegments(t *testing.T) {
	ctx := context.Background()
	g := synth.New(1, 2000)
	dir := t.TempDir()
	db := syntheticStore(t, g, 120)
	open := func(name string, policy mergePolicy) *Index {
		ix, err := Open(ctx, filepath.Join(dir, name), db, Options{
			Logger: testLogger(t), Now: func() time.Time { return testNow }, BatchSize: 7, mergePolicy: policy,
		})
		must(t, err)
		t.Cleanup(func() { ix.Close() })
		return ix
	}
	one := open("one", defaultMergePolicy)
	several := open("several", mergePolicy{fanIn: 3, maxDocs: 30})
	if n := segmentFiles(t, filepath.Join(dir, "one")); n != 1 {
		t.Errorf("default policy: %d segment files, want 1", n)
	}
	if n := segmentFiles(t, filepath.Join(dir, "several")); n < 4 {
		t.Errorf("small segments: %d segment files, want at least 4", n)
	}
	queries := append(g.Queries(2, 20, 20, 400), `"`+g.Word()+" "+g.Word()+`"`)
	sameResults(t, one, several, queries)

	// Reopened, it is the same index; a new article is caught up, a
	// deleted one is gone.
	must(t, several.Close())
	several = open("several", mergePolicy{fanIn: 3, maxDocs: 30})
	sameResults(t, one, several, queries)
	loadText(t, db, "harbor.txt", " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday.\n")
	must(t, several.CatchUp(ctx))
	mustFind(t, several, "harbor", 1)
}

// syntheticStore is a database of n synthetic articles from g.
func syntheticStore(t testing.TB, g *synth.Generator, n int) *store.DB {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if _, err := g.WriteFiles(dir, n); err != nil {
		t.Fatal(err)
	}
	files, errs := corpus.Collect([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	db := testenv.OpenDB(t)
	if _, err := ingest.Run(context.Background(), db, files, ingest.Options{}, func(ingest.Result) {}); err != nil {
		t.Fatal(err)
	}
	return db
}

// A rebuild cancelled half-way returns the context's error, leaves no
// folder behind and no goroutine running.
func TestRebuildCancelled(t *testing.T) {
	db := syntheticStore(t, synth.New(1, 2000), 120)
	dir := filepath.Join(t.TempDir(), "index")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Open(ctx, dir, db, Options{
		Logger: testLogger(t), BatchSize: 7, mergePolicy: mergePolicy{fanIn: 2, maxDocs: 1000},
		Progress: func(p Progress) {
			if p.Done >= 35 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rebuild: %v", err)
	}
	if exists(dir) || exists(dir+".new") {
		t.Error("a cancelled rebuild left its folder")
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the rebuild, %d before", runtime.NumGoroutine(), before)
		}
	}
}

func segmentFiles(t testing.TB, dir string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	must(t, err)
	if _, err := os.Stat(filepath.Join(dir, "build")); err == nil {
		t.Errorf("%s: the build's scratch folder is left", dir)
	}
	return len(names)
}

// sameResults checks that a and b find the same articles with the same
// scores for each query.
func sameResults(t *testing.T, a, b *Index, queries []string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queries {
		ra, err := a.Search(ctx, q, Request{Limit: 100, NoSnippets: true})
		must(t, err)
		rb, err := b.Search(ctx, q, Request{Limit: 100, NoSnippets: true})
		must(t, err)
		if ra.Total != rb.Total || len(ra.Hits) != len(rb.Hits) {
			t.Errorf("%q: %d results, %d with several segments", q, ra.Total, rb.Total)
			continue
		}
		scores := map[string]float64{}
		for _, h := range ra.Hits {
			scores[h.ID] = h.Score
		}
		for _, h := range rb.Hits {
			if s, ok := scores[h.ID]; !ok || math.Abs(s-h.Score) > 1e-9*math.Max(1, s) {
				t.Errorf("%q: %s scores %v with several segments, %v (found %v) with one", q, h.ID, h.Score, s, ok)
			}
		}
	}
}
