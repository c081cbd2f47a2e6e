package cluster

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/digestbot/digestbot/digest"
)

// Marks is where a replica keeps, in its own store, how far its change
// log is covered for each channel (*store.DB implements it).
type Marks interface {
	ChannelSeq(ctx context.Context, channel string) (uint64, bool, error)
	SetChannelSeq(ctx context.Context, channel string, seq uint64) error
}

// Coverage is digest.Coverage over the cover records in etcd and this
// replica's marks.
type Coverage struct {
	n     *Node
	marks Marks
}

var _ digest.Coverage = (*Coverage)(nil)

// Coverage returns what "new" digests covered, for this replica's digest
// service.
func (n *Node) Coverage(m Marks) *Coverage { return &Coverage{n: n, marks: m} }

// Covered returns this replica's covered position for channel and the
// IDs every recorded digest to channel covered.
func (c *Coverage) Covered(ctx context.Context, channel string) (uint64, map[string]bool, error) {
	ctx, cancel := request(ctx)
	defer cancel()
	since, _, err := c.marks.ChannelSeq(ctx, channel)
	if err != nil {
		return 0, nil, err
	}
	c.n.trips.Add(1)
	g, err := c.n.cli.Get(ctx, c.n.key("cover", channel)+"/", clientv3.WithPrefix())
	if err != nil {
		return 0, nil, fmt.Errorf("read what digests to channel %s covered, from etcd: %w", channel, err)
	}
	ids := map[string]bool{}
	for _, kv := range g.Kvs {
		for _, id := range strings.Split(string(kv.Value), "\n") {
			if id != "" {
				ids[id] = true
			}
		}
	}
	return since, ids, nil
}

// Advance moves this replica's position for channel to seq.
func (c *Coverage) Advance(ctx context.Context, channel string, seq uint64) error {
	return c.marks.SetChannelSeq(ctx, channel, seq)
}

// fencedPoster posts only while this replica provably holds its lease.
type fencedPoster struct {
	n    *Node
	next digest.Poster
}

// Fenced wraps p so that every post is fenced on this replica's lease
// (see Node.Fence): a replica whose lease is gone posts nothing.
func (n *Node) Fenced(p digest.Poster) digest.Poster { return fencedPoster{n: n, next: p} }

func (f fencedPoster) Post(ctx context.Context, channel string, m digest.Message) (string, error) {
	fctx, cancel, err := f.n.Fence(ctx)
	if err != nil {
		return "", fmt.Errorf("not posting to channel %s: %w", channel, err)
	}
	defer cancel()
	return f.next.Post(fctx, channel, m)
}
