package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/digestbot/digestbot/store"
)

// Feeds are shared out among the replicas: each feed is polled by the one
// replica that claims it (feeds/NAME, under its lease; up to a fair share
// of the feeds each), and what a poll stored — the items' files and the
// feed's new state, validators included — is published under
// feedpolls/REV (kept a day) for the others, which watch that prefix and
// store the same files, so every replica holds the same articles (IDs
// follow content) having fetched each feed once. Publishing the results
// was chosen over every replica polling with conditional GETs: a feed
// that changes is then fetched once, not once per replica, and a replica
// that takes a feed over continues with the state (ETag, Last-Modified,
// back-off) of the one that polled it before.

// FeedStore is what feed polling stores in (*store.DB; feed.Store).
type FeedStore interface {
	Files(ctx context.Context, paths []string) (map[string]store.FileInfo, error)
	PutFeedItems(ctx context.Context, name string, files []store.File, state func([]store.Outcome) ([]byte, error)) ([]store.Outcome, error)
	FeedState(ctx context.Context, name string) ([]byte, error)
	FeedStates(ctx context.Context) (map[string][]byte, error)
	PutFeedState(ctx context.Context, name string, state []byte) error
}

// feedPoll is one published poll (or part of one: at most maxPollBytes).
type feedPoll struct {
	Replica string       `json:"replica"`
	Feed    string       `json:"feed"`
	Files   []store.File `json:"files"`
	State   []byte       `json:"state"`
}

const (
	maxPollBytes = 1 << 20
	pollKeep     = 24 * time.Hour
)

// publishingStore stores locally and publishes what was stored.
type publishingStore struct {
	FeedStore
	n *Node
}

// PublishingFeedStore wraps local so that each poll's items and state,
// once stored, are published to the other replicas.
func (n *Node) PublishingFeedStore(local FeedStore) FeedStore {
	return publishingStore{FeedStore: local, n: n}
}

func (p publishingStore) PutFeedItems(ctx context.Context, name string, files []store.File, state func([]store.Outcome) ([]byte, error)) ([]store.Outcome, error) {
	var st []byte
	out, err := p.FeedStore.PutFeedItems(ctx, name, files, func(o []store.Outcome) ([]byte, error) {
		v, err := state(o)
		st = v
		return v, err
	})
	if err != nil {
		return out, err
	}
	if err := p.n.publishPoll(ctx, name, files, st); err != nil {
		p.n.log.Warn("feed poll not shared with the other replicas; they poll it when they take it over", "feed", name, "error", err)
	}
	return out, nil
}

// publishPoll puts a poll's files and state under feedpolls/, in parts
// of at most maxPollBytes, each with the state.
func (n *Node) publishPoll(ctx context.Context, name string, files []store.File, state []byte) error {
	ctx, cancel := request(ctx)
	defer cancel()
	var parts []feedPoll
	cur := feedPoll{Replica: n.opts.Name, Feed: name, State: state}
	size := len(state)
	for _, f := range files {
		b, _ := json.Marshal(f)
		if len(b)+len(state) > maxPollBytes {
			n.log.Warn("a feed item too large to share: the other replicas lack it until they poll the feed", "feed", name, "item", f.Path)
			continue
		}
		if size+len(b) > maxPollBytes && len(cur.Files) > 0 {
			parts = append(parts, cur)
			cur, size = feedPoll{Replica: n.opts.Name, Feed: name, State: state}, len(state)
		}
		cur.Files = append(cur.Files, f)
		size += len(b)
	}
	parts = append(parts, cur)
	n.trips.Add(1)
	g, err := n.cli.Grant(ctx, int64(pollKeep/time.Second))
	if err != nil {
		return err
	}
	for i, part := range parts {
		v, err := json.Marshal(part)
		if err != nil {
			return err
		}
		key := n.key("feedpolls", strconv.FormatInt(time.Now().UnixNano(), 10)+"-"+n.opts.Name+"-"+strconv.Itoa(i))
		n.trips.Add(1)
		if _, err := n.cli.Put(ctx, key, string(v), clientv3.WithLease(g.ID)); err != nil {
			return err
		}
	}
	return nil
}

// FollowFeeds stores the polls other replicas publish, with apply, until
// ctx ends: first those kept (the last day's), then each as it comes.
func (n *Node) FollowFeeds(ctx context.Context, apply func(ctx context.Context, feed string, files []store.File, state []byte) error) {
	prefix := n.key("feedpolls") + "/"
	for ctx.Err() == nil {
		n.trips.Add(1)
		g, err := n.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend))
		if err != nil {
			if sleepCtx(ctx, time.Second) != nil {
				return
			}
			continue
		}
		for _, kv := range g.Kvs {
			n.applyPoll(ctx, kv.Value, apply)
		}
		w := n.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(g.Header.Revision+1))
		for resp := range w {
			if resp.Err() != nil {
				break
			}
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypePut {
					n.applyPoll(ctx, ev.Kv.Value, apply)
				}
			}
		}
		if sleepCtx(ctx, time.Second) != nil {
			return
		}
	}
}

func (n *Node) applyPoll(ctx context.Context, v []byte, apply func(context.Context, string, []store.File, []byte) error) {
	var p feedPoll
	if err := json.Unmarshal(v, &p); err != nil {
		n.log.Warn("an unreadable feed poll in etcd", "error", err)
		return
	}
	if p.Replica == n.opts.Name {
		return
	}
	if err := apply(ctx, p.Feed, p.Files, p.State); err != nil && ctx.Err() == nil {
		n.log.Warn("storing a feed poll shared by another replica", "feed", p.Feed, "from", p.Replica, "error", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// FeedClaims are the feeds this replica polls.
type FeedClaims struct {
	n *Node

	mu      sync.Mutex
	names   []string        // the configured feeds
	held    map[string]bool // claimed by this replica
	changed chan struct{}   // closed when held or names change
}

// FeedClaims returns this replica's share of the feeds; Run claims them.
func (n *Node) FeedClaims(names []string) *FeedClaims {
	return &FeedClaims{n: n, names: slices.Clone(names), held: map[string]bool{}, changed: make(chan struct{})}
}

// SetFeeds replaces the configured feeds (a reload).
func (c *FeedClaims) SetFeeds(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slices.Equal(c.names, names) {
		return
	}
	c.names = slices.Clone(names)
	c.notifyLocked()
}

func (c *FeedClaims) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Held returns the feeds this replica polls now and a channel closed when
// that changes.
func (c *FeedClaims) Held() (map[string]bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]bool, len(c.held))
	for k := range c.held {
		out[k] = true
	}
	return out, c.changed
}

// Run claims this replica's fair share of the feeds (the feeds divided by
// the live members, rounded up) until ctx ends, as RunShards does shards:
// a dead replica's feeds are claimed by the others when its lease
// expires; a replica that loses its lease keeps polling its feeds and
// claims them again with its next lease.
func (c *FeedClaims) Run(ctx context.Context) {
	for ctx.Err() == nil {
		sess, changed := c.n.session()
		if sess == nil {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		feeds := c.n.cli.Watch(wctx, c.n.key("feeds")+"/", clientv3.WithPrefix())
		members := c.n.cli.Watch(wctx, c.n.key("members")+"/", clientv3.WithPrefix())
		tick := time.NewTicker(c.n.opts.Lease)
		for wctx.Err() == nil {
			if err := c.step(wctx, sess.Lease()); err != nil && wctx.Err() == nil {
				c.n.log.Warn("feed claims", "error", err)
			}
			c.mu.Lock()
			cfg := c.changed
			c.mu.Unlock()
			select {
			case <-wctx.Done():
			case <-sess.Done():
				cancel()
			case <-feeds:
			case <-members:
			case <-tick.C:
			case <-cfg:
			}
		}
		tick.Stop()
		cancel()
	}
}

// step brings this replica's claims to its fair share.
func (c *FeedClaims) step(ctx context.Context, lease clientv3.LeaseID) error {
	ctx, cancel := request(ctx)
	defer cancel()
	c.n.trips.Add(2)
	m, err := c.n.cli.Get(ctx, c.n.key("members")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	g, err := c.n.cli.Get(ctx, c.n.key("feeds")+"/", clientv3.WithPrefix())
	if err != nil {
		return err
	}
	owner := map[string]int64{}
	for _, kv := range g.Kvs {
		owner[string(kv.Key)] = kv.Lease
	}
	c.mu.Lock()
	names := slices.Clone(c.names)
	held := map[string]bool{}
	for k := range c.held {
		held[k] = true
	}
	c.mu.Unlock()
	fair := (len(names) + int(max(m.Count, 1)) - 1) / int(max(m.Count, 1))
	next := map[string]bool{}
	for _, name := range names {
		key := c.n.key("feeds", name)
		l, claimed := owner[key]
		switch {
		case claimed && l == int64(lease):
			next[name] = true
		case claimed:
			// another replica's: stop polling it
		case held[name] || len(next) < fair:
			ok, err := c.claim(ctx, key, lease)
			if err != nil {
				return err
			}
			if ok {
				next[name] = true
			}
		}
	}
	ids, err := c.giveBack(ctx, next, fair, lease)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !maps(next, c.held) {
		c.held = next
		c.notifyLocked()
		c.n.log.Info("feeds polled by this replica", "feeds", ids, "of", len(names))
	}
	return nil
}

// giveBack releases the claims in next beyond the fair share, and returns
// the feeds kept, sorted.
func (c *FeedClaims) giveBack(ctx context.Context, next map[string]bool, fair int, lease clientv3.LeaseID) ([]string, error) {
	ids := make([]string, 0, len(next))
	for name := range next {
		ids = append(ids, name)
	}
	slices.Sort(ids)
	for len(ids) > fair {
		name := ids[len(ids)-1]
		ids = ids[:len(ids)-1]
		delete(next, name)
		key := c.n.key("feeds", name)
		c.n.trips.Add(1)
		if _, err := c.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(key), "=", lease)).Then(clientv3.OpDelete(key)).Commit(); err != nil {
			return ids, err
		}
	}
	return ids, nil
}

func (c *FeedClaims) claim(ctx context.Context, key string, lease clientv3.LeaseID) (bool, error) {
	c.n.trips.Add(1)
	resp, err := c.n.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, c.n.opts.Name, clientv3.WithLease(lease))).Commit()
	if err != nil {
		return false, fmt.Errorf("claim feed %s: %w", key, err)
	}
	return resp.Succeeded, nil
}

func maps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
