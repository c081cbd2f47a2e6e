package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// ShardHost opens and closes the gateway shards this replica holds.
type ShardHost interface {
	// OpenShard connects shard id of count and returns once it has
	// identified (or failed).
	OpenShard(ctx context.Context, id, count int) error
	// CloseShard disconnects a shard OpenShard opened.
	CloseShard(id int)
}

// identifyWindow is Discord's identify rate window: max_concurrency
// identifies per 5 seconds, one per bucket (shard_id % max_concurrency).
const identifyWindow = 5 * time.Second

// RunShards shares the gateway shards of count among the replicas until
// ctx ends. Each replica claims shards (shards/COUNT/ID, create-if-absent
// under its lease) up to its fair share — count divided by the live
// members, rounded up — and gives back any beyond it when replicas join.
// A dead replica's shards go with its lease and are claimed by the others
// at once. A replica that loses its lease (etcd unreachable) keeps its
// shards open, so the guilds on them are still answered, and claims them
// again with its next lease; one that finds a shard taken meanwhile
// closes its own (for the moments both were open, Discord takes the first
// answer to each interaction). Every identify waits for its bucket's lock
// (identify/BUCKET, a concurrency.Mutex held for 5 seconds), so the
// replicas together respect maxConcurrency. Without a lease (etcd
// unreachable) the replica holds no shard.
func (n *Node) RunShards(ctx context.Context, count, maxConcurrency int, host ShardHost) error {
	if count < 1 {
		return fmt.Errorf("cluster: %d shards", count)
	}
	maxConcurrency = max(maxConcurrency, 1)
	held := map[int]bool{}
	defer func() {
		for id := range held {
			host.CloseShard(id)
		}
	}()
	for ctx.Err() == nil {
		sess, changed := n.session()
		if sess == nil {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		r := &shardRound{n: n, sess: sess, count: count, mc: maxConcurrency, host: host, held: held}
		r.run(ctx)
	}
	return ctx.Err()
}

// shardRound is RunShards while one lease lasts.
type shardRound struct {
	n     *Node
	sess  *concurrency.Session
	count int
	mc    int
	host  ShardHost
	held  map[int]bool
}

func (r *shardRound) prefix() string { return r.n.key("shards", strconv.Itoa(r.count)) + "/" }

func (r *shardRound) run(ctx context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shards := r.n.cli.Watch(wctx, r.prefix(), clientv3.WithPrefix())
	members := r.n.cli.Watch(wctx, r.n.key("members")+"/", clientv3.WithPrefix())
	tick := time.NewTicker(r.n.opts.Lease)
	defer tick.Stop()
	for {
		again, err := r.step(wctx)
		if err != nil && wctx.Err() == nil {
			r.n.log.Warn("gateway shards", "error", err)
		}
		if again {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-r.sess.Done():
			return
		case <-shards:
		case <-members:
		case <-tick.C:
		}
	}
}

// step claims one shard or gives one back when this replica holds fewer
// or more than its fair share; again says to step once more at once.
func (r *shardRound) step(ctx context.Context) (again bool, err error) {
	ctx, cancel := request(ctx)
	defer cancel()
	r.n.trips.Add(2)
	m, err := r.n.cli.Get(ctx, r.n.key("members")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return false, err
	}
	g, err := r.n.cli.Get(ctx, r.prefix(), clientv3.WithPrefix())
	if err != nil {
		return false, err
	}
	owned := map[int]bool{}
	for _, kv := range g.Kvs {
		id, err := strconv.Atoi(strings.TrimPrefix(string(kv.Key), r.prefix()))
		if err != nil {
			continue
		}
		owned[id] = true
		if r.held[id] && kv.Lease != int64(r.sess.Lease()) && string(kv.Value) != r.n.opts.Name {
			r.release(ctx, id) // another replica's now
		}
	}
	for _, id := range r.heldIDs() {
		if !owned[id] { // held under a lease that expired: claim it again
			if err := r.reclaim(ctx, id); err != nil {
				return false, err
			}
		}
	}
	fair := (r.count + int(max(m.Count, 1)) - 1) / int(max(m.Count, 1))
	switch {
	case len(r.held) > fair:
		ids := r.heldIDs()
		r.release(ctx, ids[len(ids)-1])
		return true, nil
	case len(r.held) < fair:
		for id := range r.count {
			if !owned[id] {
				return r.claim(ctx, id)
			}
		}
	}
	return false, nil
}

func (r *shardRound) heldIDs() []int {
	ids := make([]int, 0, len(r.held))
	for id := range r.held {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// claim takes shard id and opens it, within its identify bucket's window.
func (r *shardRound) claim(ctx context.Context, id int) (bool, error) {
	key := r.prefix() + strconv.Itoa(id)
	r.n.trips.Add(1)
	resp, err := r.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, r.n.opts.Name, clientv3.WithLease(r.sess.Lease()))).Commit()
	if err != nil || !resp.Succeeded {
		return err == nil, err // taken meanwhile: look again
	}
	r.held[id] = true
	gate := concurrency.NewMutex(r.sess, r.n.key("identify", strconv.Itoa(id%r.mc)))
	lctx, cancel := context.WithTimeout(context.Background(), 2*identifyWindow)
	defer cancel()
	r.n.trips.Add(2)
	if err := gate.Lock(lctx); err != nil {
		r.release(context.Background(), id)
		return false, fmt.Errorf("wait to identify shard %d: %w", id, err)
	}
	began := time.Now()
	err = r.host.OpenShard(ctx, id, r.count)
	go func() {
		// Hold the bucket for the rest of the window, then let the
		// next identify go.
		time.Sleep(time.Until(began.Add(identifyWindow)))
		uctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		_ = gate.Unlock(uctx)
	}()
	if err != nil {
		r.release(context.Background(), id)
		return false, fmt.Errorf("open shard %d of %d: %w", id, r.count, err)
	}
	r.n.log.Info("gateway shard claimed", "shard", id, "shards", r.count)
	return true, nil
}

// release closes shard id and gives its key back.
func (r *shardRound) release(ctx context.Context, id int) {
	if r.held[id] {
		r.host.CloseShard(id)
		delete(r.held, id)
	}
	key := r.prefix() + strconv.Itoa(id)
	r.n.trips.Add(1)
	_, _ = r.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(key), "=", r.sess.Lease())).
		Then(clientv3.OpDelete(key)).Commit()
	r.n.log.Info("gateway shard given back", "shard", id, "shards", r.count)
}

// reclaim claims a shard still open here under the current lease, or
// closes it when another replica claimed it first.
func (r *shardRound) reclaim(ctx context.Context, id int) error {
	key := r.prefix() + strconv.Itoa(id)
	r.n.trips.Add(1)
	resp, err := r.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, r.n.opts.Name, clientv3.WithLease(r.sess.Lease()))).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		r.host.CloseShard(id)
		delete(r.held, id)
		r.n.log.Warn("gateway shard taken by another replica while this one was cut off: closed", "shard", id)
	}
	return nil
}
