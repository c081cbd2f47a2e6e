package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/apperr"
)

// memState is a bot.StateStore in memory; err, when set, fails every call.
type memState struct {
	vals map[string][]byte
	err  error
}

func (m *memState) PutValue(_ context.Context, key string, value []byte, _ time.Time) error {
	if m.err != nil {
		return m.err
	}
	m.vals[key] = value
	return nil
}

func (m *memState) Value(_ context.Context, key string) ([]byte, time.Time, error) {
	if m.err != nil {
		return nil, time.Time{}, m.err
	}
	v, ok := m.vals[key]
	if !ok {
		return nil, time.Time{}, apperr.Errorf(apperr.NotFound, "no value %q", key)
	}
	return v, time.Time{}, nil
}

func TestSharedState(t *testing.T) {
	ctx := context.Background()
	here, there := &memState{vals: map[string][]byte{}}, &memState{vals: map[string][]byte{}}
	var logs bytes.Buffer
	st := SharedState{Local: here, Shared: there, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := st.PutValue(ctx, "k", []byte("v"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if string(here.vals["k"]) != "v" || string(there.vals["k"]) != "v" {
		t.Errorf("not written through: here %q there %q", here.vals["k"], there.vals["k"])
	}
	there.vals["other"] = []byte("from another replica")
	if v, _, err := st.Value(ctx, "other"); err != nil || string(v) != "from another replica" {
		t.Errorf("another replica's state: %q, %v", v, err)
	}
	if _, _, err := st.Value(ctx, "none"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("missing everywhere: %v", err)
	}

	there.err = errors.New("etcd unreachable")
	if err := st.PutValue(ctx, "k2", []byte("v2"), time.Time{}); err != nil || string(here.vals["k2"]) != "v2" {
		t.Errorf("etcd down: %v (local %q); the local write must stand", err, here.vals["k2"])
	}
	if !strings.Contains(logs.String(), "button state not shared") {
		t.Errorf("the failed share was not logged:\n%s", logs.String())
	}
	if v, _, err := st.Value(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("local read with etcd down: %q, %v", v, err)
	}
	here.err = errors.New("disk full")
	if err := st.PutValue(ctx, "k3", nil, time.Time{}); err == nil {
		t.Error("a failed local write was not reported")
	}
}

// TestSharedStateAcrossReplicas: button state stored by one replica is
// found by another; with etcd down it still works on the replica that
// stored it.
func TestSharedStateAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	shared := &memState{vals: map[string][]byte{}}
	log := slog.New(slog.DiscardHandler)
	a := SharedState{Local: &memState{vals: map[string][]byte{}}, Shared: shared, Log: log}
	b := SharedState{Local: &memState{vals: map[string][]byte{}}, Shared: shared, Log: log}
	if err := a.PutValue(ctx, "search:1", []byte("q1"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, _, err := b.Value(ctx, "search:1"); err != nil || string(v) != "q1" {
		t.Fatalf("b reads a's state: %q %v", v, err)
	}
	shared.err = errors.New("etcd unreachable")
	if err := a.PutValue(ctx, "search:2", []byte("q2"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, _, err := a.Value(ctx, "search:2"); err != nil || string(v) != "q2" {
		t.Fatalf("a reads its own state with etcd down: %q %v", v, err)
	}
	if _, _, err := b.Value(ctx, "search:2"); err == nil {
		t.Fatal("b found state that was never shared")
	}
}
