package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Report is what the cluster looks like now, for `digestbot cluster`.
type Report struct {
	Members []MemberInfo
	Leader  string // the replica running the schedules; empty when none
	Claims  []ClaimInfo
	Shards  []ShardInfo
}

// ShardInfo is a gateway shard and the replica holding it.
type ShardInfo struct {
	ID, Count int
	Replica   string
}

// MemberInfo is one live replica.
type MemberInfo struct {
	Name     string
	PID      int
	Started  time.Time
	Lease    string        // hex lease ID
	LeaseTTL time.Duration // time left before the lease expires unrenewed
}

// ClaimInfo is a digest run being posted.
type ClaimInfo struct {
	Digest, Slot, Replica, Lease string
	Since                        time.Time
}

// Inspect connects to etcd with opts (no lease is taken) and reports the
// members, the leader, the claims in flight and the shard owners.
func Inspect(ctx context.Context, opts Options) (Report, error) {
	n, err := dial(opts)
	if err != nil {
		return Report{}, err
	}
	defer n.cli.Close()
	return n.report(ctx)
}

// dial connects without joining: no lease, no member key.
func dial(opts Options) (*Node, error) {
	opts.lookOnly = true
	return Join(opts)
}

func (n *Node) report(ctx context.Context) (Report, error) {
	var rep Report
	g, err := n.cli.Get(ctx, n.key("members")+"/", clientv3.WithPrefix())
	if err != nil {
		return rep, fmt.Errorf("read the members from etcd at %s: %w", strings.Join(n.opts.Endpoints, ", "), err)
	}
	for _, kv := range g.Kvs {
		var m member
		_ = json.Unmarshal(kv.Value, &m)
		mi := MemberInfo{Name: m.Name, PID: m.PID, Started: m.Started, Lease: fmt.Sprintf("%x", kv.Lease)}
		if ttl, err := n.cli.TimeToLive(ctx, clientv3.LeaseID(kv.Lease)); err == nil {
			mi.LeaseTTL = time.Duration(ttl.TTL) * time.Second
		}
		rep.Members = append(rep.Members, mi)
	}
	g, err = n.cli.Get(ctx, n.key("leader")+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return rep, fmt.Errorf("read the leader from etcd: %w", err)
	}
	if len(g.Kvs) > 0 {
		rep.Leader = string(g.Kvs[0].Value)
	}
	g, err = n.cli.Get(ctx, n.key("claims")+"/", clientv3.WithPrefix())
	if err != nil {
		return rep, fmt.Errorf("read the claims from etcd: %w", err)
	}
	for _, kv := range g.Kvs {
		var c claim
		_ = json.Unmarshal(kv.Value, &c)
		parts := strings.Split(strings.TrimPrefix(string(kv.Key), n.key("claims")+"/"), "/")
		ci := ClaimInfo{Replica: c.Replica, Lease: c.Lease, Since: c.Since}
		if len(parts) == 2 {
			ci.Digest, _ = url.PathUnescape(parts[0])
			ci.Slot, _ = url.PathUnescape(parts[1])
		}
		rep.Claims = append(rep.Claims, ci)
	}
	g, err = n.cli.Get(ctx, n.key("shards")+"/", clientv3.WithPrefix())
	if err != nil {
		return rep, fmt.Errorf("read the shard owners from etcd: %w", err)
	}
	for _, kv := range g.Kvs {
		var si ShardInfo
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(kv.Key), n.key("shards")+"/"), "%d/%d", &si.Count, &si.ID); err == nil {
			si.Replica = string(kv.Value)
			rep.Shards = append(rep.Shards, si)
		}
	}
	sort.Slice(rep.Shards, func(i, j int) bool { return rep.Shards[i].ID < rep.Shards[j].ID })
	return rep, nil
}
