package cluster

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
)

const testLease = 2 * time.Second

func join(t testing.TB, te *etcdtest.Etcd, name string) *Node {
	t.Helper()
	n, err := Join(Options{Name: name, Endpoints: []string{te.URL}, Prefix: "/t/", Lease: testLease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	waitFor(t, 10*time.Second, func() bool { return n.Status().Up }, name+" gets a lease")
	return n
}

func waitFor(t testing.TB, limit time.Duration, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill makes n stop renewing its lease without revoking it, as a process
// killed or cut off would.
func kill(n *Node) {
	n.cli.Close()
	n.stop()
}

type countingPoster struct {
	mu    sync.Mutex
	posts []string
}

func (p *countingPoster) Post(ctx context.Context, channel string, m digest.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, m.Nonce)
	return "m" + m.Nonce, nil
}

func (p *countingPoster) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

func TestFenceRefusesAfterLeaseLoss(t *testing.T) {
	te := etcdtest.Start(t)
	a := join(t, te, "a")
	p := &countingPoster{}
	fp := a.Fenced(p)
	if _, err := fp.Post(context.Background(), "c", digest.Message{Nonce: "1"}); err != nil || p.count() != 1 {
		t.Fatalf("post with a lease: %v, %d posts", err, p.count())
	}
	// The lease is revoked behind a's back (as when it expired while a was
	// paused): the next post is refused before it reaches the poster.
	id, _ := a.leaseID()
	if _, err := a.cli.Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	_, err := fp.Post(context.Background(), "c", digest.Message{Nonce: "2"})
	if !errors.Is(err, ErrFenced) && !errors.Is(err, ErrNoLease) {
		t.Fatalf("post after the lease went: %v", err)
	}
	if p.count() != 1 {
		t.Fatalf("%d posts, want 1", p.count())
	}
	// a notices and takes a new lease.
	waitFor(t, 3*testLease, func() bool { nid, err := a.leaseID(); return err == nil && nid != id }, "a takes a new lease")
	if _, err := fp.Post(context.Background(), "c", digest.Message{Nonce: "3"}); err != nil || p.count() != 2 {
		t.Fatalf("post with the new lease: %v, %d posts", err, p.count())
	}
}

func TestEtcdDownThenBack(t *testing.T) {
	te := etcdtest.Start(t)
	px := etcdtest.NewCutProxy(t, strings.TrimPrefix(te.URL, "http://"))
	a, err := Join(Options{Name: "a", Endpoints: []string{px.URL()}, Prefix: "/t/", Lease: testLease})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	waitFor(t, 10*time.Second, func() bool { return a.Status().Up }, "a gets a lease")
	px.Cut()
	waitFor(t, 3*testLease, func() bool { return !a.Status().Up }, "a reports its lease lost")
	if st := a.Status(); st.Why == "" {
		t.Error("no reason given while down")
	}
	if _, _, err := a.Fence(context.Background()); !errors.Is(err, ErrNoLease) {
		t.Errorf("fence while etcd is unreachable: %v", err)
	}
	px.Restore()
	waitFor(t, 10*time.Second, func() bool { return a.Status().Up }, "a is up again after etcd returns")
}

func TestLeadOneAtATime(t *testing.T) {
	te := etcdtest.Start(t)
	var running, most, turns atomic.Int32
	leaders := make(chan string, 10)
	var nodes []*Node
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c"} {
		n := join(t, te, name)
		nodes = append(nodes, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Lead(ctx, func(ctx context.Context) error {
				r := running.Add(1)
				for {
					m := most.Load()
					if r <= m || most.CompareAndSwap(m, r) {
						break
					}
				}
				turns.Add(1)
				leaders <- n.Name()
				<-ctx.Done()
				running.Add(-1)
				return ctx.Err()
			})
		}()
	}
	first := <-leaders
	var leader *Node
	for _, n := range nodes {
		if n.Name() == first {
			leader = n
		}
	}
	waitFor(t, time.Second, func() bool { return leader.Status().Leading }, "the leader says so")
	killed := time.Now()
	kill(leader)
	select {
	case next := <-leaders:
		if next == first {
			t.Fatalf("%s led again after it was killed", next)
		}
		if took := time.Since(killed); took > 3*testLease {
			t.Errorf("failover took %s with a %s lease", took, testLease)
		}
	case <-time.After(5 * testLease):
		t.Fatal("no new leader after the leader was killed")
	}
	if most.Load() > 2 { // the killed leader's fn may not have noticed yet
		t.Errorf("%d leaders at once", most.Load())
	}
	cancel()
	wg.Wait()
}
