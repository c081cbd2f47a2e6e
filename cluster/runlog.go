package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/digestbot/digestbot/store"
)

// RunLog is the digest run log in etcd: the same contract as the one in
// the local store (digest.RunLog), shared by every replica.
//
// A pending run is claimed by the replica that posts it: BeginRun claims
// the run it creates, and a read (Run, LastRun, or BeginRun finding the
// run already there) that returns a pending run has claimed it for this
// replica — taking over a claim whose lease expired — or fails with
// ErrClaimed while another live replica holds it. RecordSent and FinishRun
// succeed only while this replica's claim stands (ErrFenced otherwise).
type RunLog struct {
	n *Node

	mu   sync.Mutex
	last map[string]cachedRun // run key → as this replica last wrote or read it
}

// cachedRun saves the read before updating a run this replica is posting.
type cachedRun struct {
	v      []byte
	modRev int64
}

// RunLog returns the cluster's digest run log.
func (n *Node) RunLog() *RunLog { return &RunLog{n: n, last: map[string]cachedRun{}} }

func (l *RunLog) remember(key string, v []byte, modRev int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v == nil {
		delete(l.last, key)
		return
	}
	if len(l.last) > 64 {
		clear(l.last)
	}
	l.last[key] = cachedRun{v, modRev}
}

func (l *RunLog) cached(key string) (cachedRun, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.last[key]
	return c, ok
}

// ErrClaimed: another live replica is posting the run.
var ErrClaimed = errors.New("digest run is being posted by another replica")

// claim is what claims/DIGEST/SLOT holds.
type claim struct {
	Replica string    `json:"replica"`
	Lease   string    `json:"lease"`
	Since   time.Time `json:"since"`
}

// maxCoverBytes bounds a run's cover record (etcd takes requests up to
// 1.5 MiB by default).
const maxCoverBytes = 1 << 20

func (l *RunLog) runKey(digest, slot string) string   { return l.n.key("runs", digest, slot) }
func (l *RunLog) runPrefix(digest string) string      { return l.n.key("runs", digest) + "/" }
func (l *RunLog) claimKey(digest, slot string) string { return l.n.key("claims", digest, slot) }
func (l *RunLog) coverKey(r store.DigestRun) string {
	return l.n.key("cover", r.Channel, r.Digest, r.Slot)
}

func validRun(digest, slot string) error {
	if digest == "" || slot == "" {
		return fmt.Errorf("digest run %q/%q: empty name or slot", digest, slot)
	}
	return nil
}

// claimValue is the claim record of this replica under lease id.
func (l *RunLog) claimValue(id clientv3.LeaseID) string {
	v, _ := json.Marshal(claim{Replica: l.n.opts.Name, Lease: fmt.Sprintf("%x", id), Since: l.n.opts.Now()})
	return string(v)
}

// BeginRun records run unless its digest and slot already have one, and
// returns the recorded run with created saying which. A pending run is
// claimed by this replica in the same transaction.
func (l *RunLog) BeginRun(ctx context.Context, run store.DigestRun) (store.DigestRun, bool, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	if err := validRun(run.Digest, run.Slot); err != nil {
		return store.DigestRun{}, false, err
	}
	v, err := json.Marshal(run)
	if err != nil {
		return store.DigestRun{}, false, err
	}
	rk := l.runKey(run.Digest, run.Slot)
	ops := []clientv3.Op{clientv3.OpPut(rk, string(v))}
	switch run.State {
	case store.RunPending:
		id, err := l.n.leaseID()
		if err != nil {
			return store.DigestRun{}, false, fmt.Errorf("claim digest run %s at %s: %w", run.Digest, run.Slot, err)
		}
		ops = append(ops, clientv3.OpPut(l.claimKey(run.Digest, run.Slot), l.claimValue(id), clientv3.WithLease(id)))
	case store.RunDone:
		ops = append(ops, l.coverOps(run)...)
	}
	l.n.trips.Add(1)
	resp, err := l.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(rk), "=", 0)).
		Then(ops...).Else(clientv3.OpGet(rk)).Commit()
	if err != nil {
		return store.DigestRun{}, false, fmt.Errorf("record digest run %s at %s in etcd: %w", run.Digest, run.Slot, err)
	}
	if resp.Succeeded {
		if run.State == store.RunPending {
			l.remember(rk, v, resp.Header.Revision)
		}
		return run, true, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return store.DigestRun{}, false, fmt.Errorf("record digest run %s at %s: deleted meanwhile", run.Digest, run.Slot)
	}
	rec, err := l.claimed(ctx, kvs[0].Value, kvs[0].ModRevision)
	return rec, false, err
}

// coverOps records what a finished "new" run covered.
func (l *RunLog) coverOps(r store.DigestRun) []clientv3.Op {
	if len(r.Covered) == 0 || r.Channel == "" {
		return nil
	}
	ids := strings.Join(r.Covered, "\n")
	if len(ids) > maxCoverBytes {
		l.n.log.Warn("the articles a digest covered are too many to record in etcd; other replicas may repeat them once",
			"digest", r.Digest, "slot", r.Slot, "articles", len(r.Covered))
		return nil
	}
	return []clientv3.Op{clientv3.OpPut(l.coverKey(r), ids)}
}

// claimed decodes a stored run and, when it is pending, claims it for
// this replica (see RunLog).
func (l *RunLog) claimed(ctx context.Context, v []byte, modRev int64) (store.DigestRun, error) {
	for attempt := 0; ; attempt++ {
		var r store.DigestRun
		if err := json.Unmarshal(v, &r); err != nil {
			return store.DigestRun{}, fmt.Errorf("digest run in etcd: %w", err)
		}
		if r.State != store.RunPending {
			return r, nil
		}
		ok, err := l.claim(ctx, r, v, modRev)
		if ok || err != nil || attempt == 3 {
			if err == nil && !ok {
				err = fmt.Errorf("claim digest run %s at %s: it keeps changing; will retry", r.Digest, r.Slot)
			}
			return r, err
		}
		// The run changed since it was read (its poster recorded a
		// message or finished it): read it again.
		rk := l.runKey(r.Digest, r.Slot)
		l.n.trips.Add(1)
		g, err := l.n.cli.Get(ctx, rk)
		if err != nil {
			return store.DigestRun{}, fmt.Errorf("read digest run %s at %s from etcd: %w", r.Digest, r.Slot, err)
		}
		if len(g.Kvs) == 0 {
			return store.DigestRun{}, fmt.Errorf("digest run %s at %s: %w", r.Digest, r.Slot, store.ErrNotFound)
		}
		v, modRev = g.Kvs[0].Value, g.Kvs[0].ModRevision
	}
}

// claim takes the claim on pending run r, read as v at modRev, for this
// replica. It reports false when the run changed since.
func (l *RunLog) claim(ctx context.Context, r store.DigestRun, v []byte, modRev int64) (bool, error) {
	id, err := l.n.leaseID()
	if err != nil {
		return false, fmt.Errorf("claim digest run %s at %s: %w", r.Digest, r.Slot, err)
	}
	ck := l.claimKey(r.Digest, r.Slot)
	l.n.trips.Add(1)
	resp, err := l.n.cli.Txn(ctx).If(
		clientv3.Compare(clientv3.CreateRevision(ck), "=", 0),
		clientv3.Compare(clientv3.ModRevision(l.runKey(r.Digest, r.Slot)), "=", modRev),
	).Then(clientv3.OpPut(ck, l.claimValue(id), clientv3.WithLease(id))).Else(clientv3.OpGet(ck)).Commit()
	if err != nil {
		return false, fmt.Errorf("claim digest run %s at %s in etcd: %w", r.Digest, r.Slot, err)
	}
	if resp.Succeeded {
		l.remember(l.runKey(r.Digest, r.Slot), v, modRev)
		l.n.log.Info("claimed a pending digest run", "digest", r.Digest, "slot", r.Slot, "sent", len(r.Sent))
		return true, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	switch {
	case len(kvs) == 0:
		return false, nil
	case kvs[0].Lease == int64(id):
		return true, nil // ours already; change reads the run afresh if need be
	}
	var c claim
	_ = json.Unmarshal(kvs[0].Value, &c)
	return false, fmt.Errorf("digest %s at %s: %w (%s)", r.Digest, r.Slot, ErrClaimed, c.Replica)
}

// change applies fn to a pending run this replica has claimed and stores
// it, with extra operations, in one transaction that fails with ErrFenced
// if the claim is no longer this replica's.
func (l *RunLog) change(ctx context.Context, digest, slot string, fn func(*store.DigestRun) ([]clientv3.Op, error)) (store.DigestRun, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	if err := validRun(digest, slot); err != nil {
		return store.DigestRun{}, err
	}
	id, err := l.n.leaseID()
	if err != nil {
		return store.DigestRun{}, err
	}
	rk, ck := l.runKey(digest, slot), l.claimKey(digest, slot)
	for attempt := 0; ; attempt++ {
		cur, ok := l.cached(rk)
		if !ok || attempt > 0 {
			l.n.trips.Add(1)
			g, err := l.n.cli.Get(ctx, rk)
			if err != nil {
				return store.DigestRun{}, fmt.Errorf("read the run from etcd: %w", err)
			}
			if len(g.Kvs) == 0 {
				return store.DigestRun{}, store.ErrNotFound
			}
			cur = cachedRun{g.Kvs[0].Value, g.Kvs[0].ModRevision}
		}
		var r store.DigestRun
		if err := json.Unmarshal(cur.v, &r); err != nil {
			return store.DigestRun{}, fmt.Errorf("digest run in etcd: %w", err)
		}
		if r.State != store.RunPending {
			return store.DigestRun{}, store.ErrRunState
		}
		extra, err := fn(&r)
		if err != nil {
			return store.DigestRun{}, err
		}
		v, err := json.Marshal(r)
		if err != nil {
			return store.DigestRun{}, err
		}
		l.n.trips.Add(1)
		resp, err := l.n.cli.Txn(ctx).If(
			clientv3.Compare(clientv3.ModRevision(rk), "=", cur.modRev),
			clientv3.Compare(clientv3.LeaseValue(ck), "=", id),
		).Then(append([]clientv3.Op{clientv3.OpPut(rk, string(v))}, extra...)...).Else(clientv3.OpGet(ck)).Commit()
		if err != nil {
			return store.DigestRun{}, fmt.Errorf("update the run in etcd: %w", err)
		}
		if resp.Succeeded {
			l.remember(rk, pendingOnly(r, v), resp.Header.Revision)
			return r, nil
		}
		l.remember(rk, nil, 0)
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) == 0 || kvs[0].Lease != int64(id) || attempt > 3 {
			return store.DigestRun{}, ErrFenced
		}
		// The run changed under us while the claim is ours: read again.
	}
}

// pendingOnly is v while r is pending, else nil (nothing to remember).
func pendingOnly(r store.DigestRun, v []byte) []byte {
	if r.State != store.RunPending {
		return nil
	}
	return v
}

// RecordSent records the ID of message index of a pending run this
// replica has claimed. Recording the same index again keeps the first ID.
func (l *RunLog) RecordSent(ctx context.Context, digest, slot string, index int, messageID string, now time.Time) error {
	_, err := l.change(ctx, digest, slot, func(r *store.DigestRun) ([]clientv3.Op, error) {
		switch {
		case index < len(r.Sent):
			return nil, nil
		case index != len(r.Sent) || index >= len(r.Messages):
			return nil, fmt.Errorf("message %d of %d recorded out of order (%d recorded)", index+1, len(r.Messages), len(r.Sent))
		}
		r.Sent = append(r.Sent, messageID)
		r.Updated = now
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("record message %d of digest %s at %s: %w", index+1, digest, slot, err)
	}
	return nil
}

// FinishRun sets the final state of a pending run this replica has
// claimed, and releases the claim. A done "new" run records what it
// covered.
func (l *RunLog) FinishRun(ctx context.Context, digest, slot string, state store.RunState, note string, now time.Time) (store.DigestRun, error) {
	out, err := l.change(ctx, digest, slot, func(r *store.DigestRun) ([]clientv3.Op, error) {
		r.State, r.Updated = state, now
		if note != "" {
			r.Note = note
		}
		ops := []clientv3.Op{clientv3.OpDelete(l.claimKey(digest, slot))}
		if state == store.RunDone {
			ops = append(ops, l.coverOps(*r)...)
		}
		return ops, nil
	})
	if err != nil {
		return store.DigestRun{}, fmt.Errorf("finish digest run %s at %s: %w", digest, slot, err)
	}
	return out, nil
}

// Run returns the run of digest at slot, if recorded; a pending one is
// claimed (see RunLog).
func (l *RunLog) Run(ctx context.Context, digest, slot string) (store.DigestRun, bool, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	l.n.trips.Add(1)
	g, err := l.n.cli.Get(ctx, l.runKey(digest, slot))
	if err != nil {
		return store.DigestRun{}, false, fmt.Errorf("read digest run %s at %s from etcd: %w", digest, slot, err)
	}
	if len(g.Kvs) == 0 {
		return store.DigestRun{}, false, nil
	}
	r, err := l.claimed(ctx, g.Kvs[0].Value, g.Kvs[0].ModRevision)
	return r, err == nil, err
}

// LastRun returns the run of digest with the latest slot, if any; a
// pending one is claimed (see RunLog).
func (l *RunLog) LastRun(ctx context.Context, digest string) (store.DigestRun, bool, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	l.n.trips.Add(1)
	g, err := l.n.cli.Get(ctx, l.runPrefix(digest), clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(1))
	if err != nil {
		return store.DigestRun{}, false, fmt.Errorf("read last run of digest %s from etcd: %w", digest, err)
	}
	if len(g.Kvs) == 0 {
		return store.DigestRun{}, false, nil
	}
	r, err := l.claimed(ctx, g.Kvs[0].Value, g.Kvs[0].ModRevision)
	return r, err == nil, err
}

// Runs returns the recorded runs of digest, oldest slot first, without
// claiming any.
func (l *RunLog) Runs(ctx context.Context, digest string) ([]store.DigestRun, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	l.n.trips.Add(1)
	g, err := l.n.cli.Get(ctx, l.runPrefix(digest), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, fmt.Errorf("list runs of digest %s in etcd: %w", digest, err)
	}
	out := make([]store.DigestRun, 0, len(g.Kvs))
	for _, kv := range g.Kvs {
		var r store.DigestRun
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return nil, fmt.Errorf("run %s in etcd: %w", kv.Key, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// PruneRuns deletes all but the keep most recent runs of digest (never a
// pending one), with what they covered.
func (l *RunLog) PruneRuns(ctx context.Context, digest string, keep int) error {
	ctx, cancel := request(ctx)
	defer cancel()
	l.n.trips.Add(1)
	g, err := l.n.cli.Get(ctx, l.runPrefix(digest), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("count runs of digest %s in etcd: %w", digest, err)
	}
	if g.Count <= int64(keep) {
		return nil
	}
	runs, err := l.Runs(ctx, digest)
	if err != nil || len(runs) <= keep {
		return err
	}
	var ops []clientv3.Op
	for _, r := range runs[:len(runs)-keep] {
		if r.State == store.RunPending {
			continue
		}
		ops = append(ops, clientv3.OpDelete(l.runKey(r.Digest, r.Slot)), clientv3.OpDelete(l.coverKey(r)))
	}
	for len(ops) > 0 {
		n := min(len(ops), 100) // etcd's default limit of operations per transaction is 128
		l.n.trips.Add(1)
		if _, err := l.n.cli.Txn(ctx).Then(ops[:n]...).Commit(); err != nil {
			return fmt.Errorf("prune runs of digest %s in etcd: %w", digest, err)
		}
		ops = ops[n:]
	}
	return nil
}
