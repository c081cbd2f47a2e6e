package digest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// sharedCoverage is what a cluster keeps: the IDs covered per channel,
// shared by every replica; each replica's own position lives in its store.
type sharedCoverage struct {
	mu  sync.Mutex
	ids map[string]map[string]bool
}

func (c *sharedCoverage) record(channel string, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]map[string]bool{}
	}
	if c.ids[channel] == nil {
		c.ids[channel] = map[string]bool{}
	}
	for _, id := range ids {
		c.ids[channel][id] = true
	}
}

type replicaCoverage struct {
	shared *sharedCoverage
	db     *store.DB
}

func (r replicaCoverage) Covered(ctx context.Context, channel string) (uint64, map[string]bool, error) {
	since, _, err := r.db.ChannelSeq(ctx, channel)
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	ids := map[string]bool{}
	for id := range r.shared.ids[channel] {
		ids[id] = true
	}
	return since, ids, err
}

func (r replicaCoverage) Advance(ctx context.Context, channel string, seq uint64) error {
	return r.db.SetChannelSeq(ctx, channel, seq)
}

// TestCoverageAcrossReplicas: two replicas with their own stores, which
// load the same articles in different orders and at different times,
// take turns building the "new" digest of one channel. Every article is
// shown once, by the first replica that has it when it builds, and never
// again by the other, however late that one loads it.
func TestCoverageAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	arts := testenv.SampleArticles(t)
	if len(arts) < 5 {
		t.Fatalf("%d sample articles", len(arts))
	}
	shared := &sharedCoverage{}
	type replica struct {
		db  *store.DB
		svc *Service
	}
	var reps []replica
	for range 2 {
		db := testenv.OpenDB(t)
		svc, err := New(db, testAnalyze)
		if err != nil {
			t.Fatal(err)
		}
		svc.UseCoverage(replicaCoverage{shared: shared, db: db})
		reps = append(reps, replica{db, svc})
	}
	// The sample archive is years old: the first digest looks back over it.
	spec := Spec{Name: "n", Channel: "100", Rule: SelectNew, MaxArticles: 20, LookBack: archiveLookBack}
	at := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	post := func(r replica) []string {
		t.Helper()
		d, err := r.svc.Build(ctx, spec, at)
		if err != nil {
			t.Fatal(err)
		}
		shared.record(spec.Channel, d.Covered)
		var ids []string
		for _, it := range d.Items {
			ids = append(ids, it.ID)
			for _, o := range it.AlsoIn {
				ids = append(ids, o.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	ids := func(as ...corpus.Article) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		slices.Sort(out)
		return out
	}
	// A has 0,1,2; B has 2,1 (other order) and 3, which A lacks.
	testenv.PutArticles(t, reps[0].db, arts[0], arts[1], arts[2])
	testenv.PutArticles(t, reps[1].db, arts[2])
	testenv.PutArticles(t, reps[1].db, arts[3], arts[1])
	if got := post(reps[0]); !slices.Equal(got, ids(arts[0], arts[1], arts[2])) {
		t.Fatalf("first digest (A) = %v", got)
	}
	// B: only 3 is new; 1 and 2 were covered by A's digest.
	if got := post(reps[1]); !slices.Equal(got, ids(arts[3])) {
		t.Fatalf("second digest (B) = %v, want only %s", got, arts[3].ID)
	}
	// A loads 3 late and 4; B loads 0 late and 4. A shows 4 only.
	testenv.PutArticles(t, reps[0].db, arts[3], arts[4])
	testenv.PutArticles(t, reps[1].db, arts[0], arts[4])
	if got := post(reps[0]); !slices.Equal(got, ids(arts[4])) {
		t.Fatalf("third digest (A) = %v, want only %s", got, arts[4].ID)
	}
	// Nothing is left for either.
	for i, r := range reps {
		if got := post(r); len(got) != 0 {
			t.Errorf("replica %d repeats %v", i, got)
		}
		if seq, _, _ := r.db.ChannelSeq(ctx, spec.Channel); seq == 0 {
			t.Errorf("replica %d never moved its position", i)
		}
	}
}

// TestCoverageFirstDigestLooksBack: with shared coverage too, a channel's
// first digest holds only what is dated within the look-back, and the
// archive it left out does not come back as new.
func TestCoverageFirstDigestLooksBack(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t)
	svc, err := New(db, testAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	shared := &sharedCoverage{}
	svc.UseCoverage(replicaCoverage{shared: shared, db: db})
	testenv.PutArticles(t, db, testenv.SampleArticles(t)...) // dated 2021-09 to 2023-08-08
	spec := Spec{Name: "n", Channel: "100"}
	d, err := svc.Build(ctx, spec, time.Date(2023, 8, 9, 7, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := itemDates(d); d.First == nil || !slices.Equal(got, []string{"2023-08-08"}) || len(d.Covered) != 5 {
		t.Fatalf("first digest: %v, first %v, covered %d", got, d.First, len(d.Covered))
	}
	shared.record(spec.Channel, d.Covered)
	if d, err := svc.Build(ctx, spec, time.Date(2023, 8, 10, 7, 0, 0, 0, time.UTC)); err != nil || !d.Empty() || d.First != nil {
		t.Fatalf("second digest: %v %v first %v", err, itemDates(d), d.First)
	}
}
