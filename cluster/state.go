package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/digestbot/digestbot/store"
)

// State keeps interaction state (what a button press needs and its custom
// ID cannot hold) in etcd, so a press answered by any replica finds it.
// Each value lives TTL under a lease of its own.
type State struct {
	n   *Node
	ttl time.Duration
}

// State returns the shared interaction state; values expire after ttl.
func (n *Node) State(ttl time.Duration) *State { return &State{n: n, ttl: ttl} }

type stateValue struct {
	At    time.Time `json:"at"`
	Value []byte    `json:"value"`
}

// PutValue stores value under key, stamped now.
func (s *State) PutValue(ctx context.Context, key string, value []byte, now time.Time) error {
	ctx, cancel := request(ctx)
	defer cancel()
	v, err := json.Marshal(stateValue{At: now, Value: value})
	if err != nil {
		return err
	}
	s.n.trips.Add(2)
	g, err := s.n.cli.Grant(ctx, int64(s.ttl/time.Second))
	if err != nil {
		return fmt.Errorf("store interaction state %s in etcd: %w", key, err)
	}
	if _, err := s.n.cli.Put(ctx, s.n.key("state", key), string(v), clientv3.WithLease(g.ID)); err != nil {
		return fmt.Errorf("store interaction state %s in etcd: %w", key, err)
	}
	return nil
}

// Value returns the value stored under key and when; a missing one is
// store.ErrNotFound.
func (s *State) Value(ctx context.Context, key string) ([]byte, time.Time, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	s.n.trips.Add(1)
	g, err := s.n.cli.Get(ctx, s.n.key("state", key))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read interaction state %s from etcd: %w", key, err)
	}
	if len(g.Kvs) == 0 {
		return nil, time.Time{}, fmt.Errorf("value %s: %w", key, store.ErrNotFound)
	}
	var sv stateValue
	if err := json.Unmarshal(g.Kvs[0].Value, &sv); err != nil {
		return nil, time.Time{}, fmt.Errorf("interaction state %s in etcd: %w", key, err)
	}
	return sv.Value, sv.At, nil
}
