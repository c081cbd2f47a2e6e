package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
	"github.com/digestbot/digestbot/store"
)

// memFeedStore keeps what PutFeedItems stored.
type memFeedStore struct {
	mu    sync.Mutex
	files []store.File
	state map[string][]byte
}

func (m *memFeedStore) Files(context.Context, []string) (map[string]store.FileInfo, error) {
	return nil, nil
}

func (m *memFeedStore) PutFeedItems(_ context.Context, name string, files []store.File, state func([]store.Outcome) ([]byte, error)) ([]store.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]store.Outcome, len(files))
	v, err := state(out)
	if err != nil {
		return nil, err
	}
	m.files = append(m.files, files...)
	if m.state == nil {
		m.state = map[string][]byte{}
	}
	m.state[name] = v
	return out, nil
}

func (m *memFeedStore) FeedState(_ context.Context, name string) ([]byte, error) {
	return m.state[name], nil
}
func (m *memFeedStore) FeedStates(context.Context) (map[string][]byte, error) { return m.state, nil }
func (m *memFeedStore) PutFeedState(_ context.Context, name string, v []byte) error {
	m.state[name] = v
	return nil
}

// TestFeedsClaimedAndShared: two replicas claim one feed each; a poll
// stored by one reaches the other's store with the feed's state; when one
// dies the other claims its feed.
func TestFeedsClaimedAndShared(t *testing.T) {
	te := etcdtest.Start(t)
	a, b := join(t, te, "a"), join(t, te, "b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feeds := []string{"news", "blog"}
	ca, cb := a.FeedClaims(feeds), b.FeedClaims(feeds)
	go ca.Run(ctx)
	go cb.Run(ctx)
	held := func(c *FeedClaims) int { h, _ := c.Held(); return len(h) }
	waitFor(t, 10*time.Second, func() bool { return held(ca) == 1 && held(cb) == 1 }, "one feed each")
	var got memFeedStore
	go b.FollowFeeds(ctx, func(ctx context.Context, feed string, files []store.File, state []byte) error {
		_, err := got.PutFeedItems(ctx, feed, files, func([]store.Outcome) ([]byte, error) { return state, nil })
		return err
	})
	pub := a.PublishingFeedStore(&memFeedStore{})
	file := store.File{Path: "feed:news:1", RawHash: "h1", Article: corpus.Article{ID: "abc", Title: "Story", Body: "Text."}}
	if _, err := pub.PutFeedItems(ctx, "news", []store.File{file}, func([]store.Outcome) ([]byte, error) {
		return []byte(`{"etag":"x"}`), nil
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool {
		got.mu.Lock()
		defer got.mu.Unlock()
		return len(got.files) == 1
	}, "b stores a's poll")
	if got.files[0].Article.ID != "abc" || got.files[0].Path != "feed:news:1" || string(got.state["news"]) != `{"etag":"x"}` {
		t.Fatalf("b stored %+v, state %q", got.files[0], got.state["news"])
	}
	kill(a)
	waitFor(t, 3*testLease, func() bool { return held(cb) == 2 }, "b claims a's feed")
}
