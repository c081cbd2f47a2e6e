package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

// memState is a bot.StateStore in memory; down makes it fail as etcd
// unreachable would.
type memState struct {
	m    map[string][]byte
	down bool
}

func (s *memState) PutValue(_ context.Context, key string, value []byte, _ time.Time) error {
	if s.down {
		return errors.New("etcd unreachable")
	}
	s.m[key] = value
	return nil
}

func (s *memState) Value(_ context.Context, key string) ([]byte, time.Time, error) {
	if s.down {
		return nil, time.Time{}, errors.New("etcd unreachable")
	}
	v, ok := s.m[key]
	if !ok {
		return nil, time.Time{}, fmt.Errorf("value %s: %w", key, store.ErrNotFound)
	}
	return v, time.Time{}, nil
}

// TestSharedStateAcrossReplicas: button state stored by one replica is
// found by another; with etcd down it still works on the replica that
// stored it.
func TestSharedStateAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	shared := &memState{m: map[string][]byte{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := sharedState{local: &memState{m: map[string][]byte{}}, shared: shared, log: log}
	b := sharedState{local: &memState{m: map[string][]byte{}}, shared: shared, log: log}
	must(t, a.PutValue(ctx, "search:1", []byte("q1"), time.Now()))
	if v, _, err := b.Value(ctx, "search:1"); err != nil || string(v) != "q1" {
		t.Fatalf("b reads a's state: %q %v", v, err)
	}
	shared.down = true
	must(t, a.PutValue(ctx, "search:2", []byte("q2"), time.Now()))
	if v, _, err := a.Value(ctx, "search:2"); err != nil || string(v) != "q2" {
		t.Fatalf("a reads its own state with etcd down: %q %v", v, err)
	}
	if _, _, err := b.Value(ctx, "search:2"); err == nil {
		t.Fatal("b found state that was never shared")
	}
}
