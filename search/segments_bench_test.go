package search

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/synth"
)

// BenchmarkSearchSegments answers the same queries from one index built
// as one segment and as four: what a rebuild's segment limit
// (buildSegmentDocs) costs a search. Reported beside each other:
//
//	go test ./search -run - -bench SearchSegments -benchtime 2000x
func BenchmarkSearchSegments(b *testing.B) {
	const n = 6400
	g := synth.New(1, 30000)
	db := syntheticStore(b, g, n)
	queries := g.Queries(2, 1000, 200, 3000)
	for _, segs := range []int{1, 4} {
		b.Run(fmt.Sprintf("segments=%d", segs), func(b *testing.B) {
			ix, err := Open(context.Background(), filepath.Join(b.TempDir(), "index"), db, Options{
				Logger: quietLogger(), Now: func() time.Time { return testNow }, BatchSize: 100,
				mergePolicy: mergePolicy{fanIn: 16, maxDocs: n / segs},
			})
			must(b, err)
			defer ix.Close()
			if got := segmentFiles(b, ix.Dir()); got != segs {
				b.Fatalf("%d segments, want %d", got, segs)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := ix.Search(context.Background(), queries[i%len(queries)], Request{Limit: 10, NoSnippets: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
