package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/apperr"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
)

// TestStateSharedByReplicas: a value one replica stores is found by
// another; a missing one is NotFound.
func TestStateSharedByReplicas(t *testing.T) {
	te := etcdtest.Start(t)
	a, b := join(t, te, "a"), join(t, te, "b")
	ctx := context.Background()
	now := time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)
	if err := a.State(time.Hour).PutValue(ctx, "search:abc", []byte(`{"text":"x"}`), now); err != nil {
		t.Fatal(err)
	}
	v, at, err := b.State(time.Hour).Value(ctx, "search:abc")
	if err != nil || string(v) != `{"text":"x"}` || !at.Equal(now) {
		t.Fatalf("value from b: %q %v %v", v, at, err)
	}
	if _, _, err := b.State(time.Hour).Value(ctx, "search:nope"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("missing value: %v", err)
	}
}
