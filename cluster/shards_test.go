package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
)

// shardHost records which shards a replica holds and when each opened.
type shardHost struct {
	mu     sync.Mutex
	open   map[int]bool
	opened *[]time.Time // shared by the replicas: every identify, in order
	omu    *sync.Mutex
}

func (h *shardHost) OpenShard(_ context.Context, id, count int) error {
	h.omu.Lock()
	*h.opened = append(*h.opened, time.Now())
	h.omu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.open[id] = true
	return nil
}

func (h *shardHost) CloseShard(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.open, id)
}

func (h *shardHost) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.open)
}

// TestShardsSharedAndTakenOver: two replicas share two shards, one each,
// identifying at most once per 5 s (max_concurrency 1); when one dies, the
// other holds both within the lease and one identify window.
func TestShardsSharedAndTakenOver(t *testing.T) {
	te := etcdtest.Start(t)
	a, b := join(t, te, "a"), join(t, te, "b")
	var opened []time.Time
	var omu sync.Mutex
	ha := &shardHost{open: map[int]bool{}, opened: &opened, omu: &omu}
	hb := &shardHost{open: map[int]bool{}, opened: &opened, omu: &omu}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.RunShards(ctx, 2, 1, ha)
	go b.RunShards(ctx, 2, 1, hb)
	waitFor(t, 4*identifyWindow, func() bool { return ha.held() == 1 && hb.held() == 1 }, "each replica holds one shard")
	omu.Lock()
	for i := 1; i < len(opened); i++ {
		if gap := opened[i].Sub(opened[i-1]); gap < identifyWindow-100*time.Millisecond {
			t.Errorf("identifies %d and %d %s apart, with max_concurrency 1", i, i+1, gap)
		}
	}
	omu.Unlock()
	rep, err := Inspect(ctx, Options{Name: "cli", Endpoints: []string{te.URL}, Prefix: "/t/"})
	if err != nil || len(rep.Shards) != 2 || rep.Shards[0].Replica == rep.Shards[1].Replica {
		t.Fatalf("shard owners: %+v, %v", rep.Shards, err)
	}
	// a's lease goes behind its back (as when etcd was out of reach for
	// longer than it): a keeps its shard open until it has a new lease,
	// then claims it again, or closes it when b took it meanwhile. Either
	// way each shard ends up held once.
	id, _ := a.leaseID()
	if _, err := a.cli.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*testLease, func() bool { nid, err := a.leaseID(); return err == nil && nid != id }, "a takes a new lease")
	waitFor(t, 2*testLease+3*identifyWindow, func() bool {
		rep, err := Inspect(ctx, Options{Name: "cli", Endpoints: []string{te.URL}, Prefix: "/t/"})
		return err == nil && len(rep.Shards) == 2 && ha.held()+hb.held() == 2 && ha.held() >= 1 && hb.held() >= 1
	}, "each shard held once again, one per replica")
	killed := time.Now()
	kill(a)
	waitFor(t, testLease+3*identifyWindow, func() bool { return hb.held() == 2 }, "b takes over a's shard")
	t.Logf("a's shard taken over %s after a died (lease %s)", time.Since(killed).Round(time.Millisecond), testLease)
}
