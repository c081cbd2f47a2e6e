package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
	"github.com/digestbot/digestbot/store"
)

// itemsBuilder builds a digest of n items, whatever is stored: enough for
// several messages.
type itemsBuilder struct{ n int }

func (b itemsBuilder) Build(_ context.Context, spec digest.Spec, at time.Time) (digest.Digest, error) {
	d := digest.Digest{Name: spec.Name, Title: "News", Rule: digest.SelectNew, At: at}
	for i := range b.n {
		id := fmt.Sprintf("a%02d", i)
		d.Items = append(d.Items, digest.Item{ID: id, Title: "Story " + id, Summary: []string{"Something happened."}})
		d.Covered = append(d.Covered, id)
	}
	return d, nil
}

// channelLog is the fake Discord channel: it keeps every message created
// and, like Discord, creates a nonce once.
type channelLog struct {
	mu     sync.Mutex
	nonces map[string]int
	posts  []string
	fail   func(nonce string) error // before creating
}

func (c *channelLog) Post(ctx context.Context, channel string, m digest.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		if err := c.fail(m.Nonce); err != nil {
			return "", err
		}
	}
	if c.nonces == nil {
		c.nonces = map[string]int{}
	}
	c.nonces[m.Nonce]++
	c.posts = append(c.posts, m.Nonce)
	return fmt.Sprintf("msg-%d", len(c.posts)), nil
}

func (c *channelLog) created() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.posts)
}

func everyMinute(t testing.TB) digest.Job {
	s, err := digest.ParseSchedule("* * * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return digest.Job{Spec: digest.Spec{Name: "news", Channel: "100", Rule: digest.SelectNew, Zone: time.UTC}, Schedule: s}
}

func scheduler(t testing.TB, n *Node, p digest.Poster) *digest.Scheduler {
	s, err := digest.NewScheduler([]digest.Job{everyMinute(t)}, itemsBuilder{25}, n.RunLog(), n.Fenced(p), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRacingSchedulersPostOnce: two replicas tick the same slot at once
// (as two leaders would, one of them stale): each message is created once.
func TestRacingSchedulersPostOnce(t *testing.T) {
	te := etcdtest.Start(t)
	a, b := join(t, te, "a"), join(t, te, "b")
	ch := &channelLog{}
	sa, sb := scheduler(t, a, ch), scheduler(t, b, ch)
	ctx := context.Background()
	t0 := time.Date(2024, 7, 3, 8, 0, 30, 0, time.UTC)
	if err := sa.Tick(ctx, t0); err != nil {
		t.Fatal(err)
	}
	for slot := range 3 {
		now := t0.Add(time.Duration(slot+1) * time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*digest.Scheduler{sa, sb} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.Tick(ctx, now) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, ErrClaimed) {
				t.Fatalf("slot %d: %v", slot, err)
			}
		}
		// The loser may have found the run claimed: it retries later and
		// finds it done.
		for _, s := range []*digest.Scheduler{sa, sb} {
			if err := s.Tick(ctx, now); err != nil {
				t.Fatalf("slot %d again: %v", slot, err)
			}
		}
	}
	checkOnce(t, ch, 3*3)
	runs, err := a.RunLog().Runs(ctx, "news")
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs: %d, %v", len(runs), err)
	}
	for _, r := range runs[1:] {
		if r.State != store.RunDone || len(r.Sent) != 3 {
			t.Errorf("run %s: %s, %d sent", r.Slot, r.State, len(r.Sent))
		}
	}
}

func checkOnce(t testing.TB, ch *channelLog, want int) {
	t.Helper()
	posts := ch.created()
	seen := map[string]bool{}
	for _, n := range posts {
		if seen[n] {
			t.Errorf("nonce %s posted twice", n)
		}
		seen[n] = true
	}
	if len(posts) != want {
		t.Errorf("%d messages created, want %d", len(posts), want)
	}
}

// TestClaimerDiesMidPost: the replica posting a run dies after its first
// message; while its lease lives the run is not touched, and after it
// expires another replica posts the rest — nothing twice, nothing missed.
// The dead replica, woken up, records nothing.
func TestClaimerDiesMidPost(t *testing.T) {
	te := etcdtest.Start(t)
	a, b := join(t, te, "a"), join(t, te, "b")
	ch := &channelLog{}
	posted := 0
	ch.fail = func(string) error {
		if posted++; posted == 2 {
			return errors.New("killed")
		}
		return nil
	}
	sa := scheduler(t, a, ch)
	ctx := context.Background()
	t0 := time.Date(2024, 7, 3, 8, 0, 30, 0, time.UTC)
	if err := sa.Tick(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := sa.Tick(ctx, t0.Add(time.Minute)); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("a's tick: %v", err)
	}
	ch.mu.Lock()
	ch.fail = nil
	ch.mu.Unlock()
	kill(a)
	sb := scheduler(t, b, ch)
	now := t0.Add(time.Minute + 10*time.Second)
	if err := sb.Tick(ctx, now); !errors.Is(err, ErrClaimed) {
		t.Fatalf("b's tick while a's lease lives: %v", err)
	}
	var err error
	waitFor(t, 3*testLease, func() bool {
		err = sb.Tick(ctx, now)
		return !errors.Is(err, ErrClaimed)
	}, "a's claim expires")
	if err != nil {
		t.Fatal(err)
	}
	checkOnce(t, ch, 3)
	// The dead replica's run log cannot record anything now.
	if err := a.RunLog().RecordSent(ctx, "news", "2024-07-03T08:01", 1, "x", now); err == nil {
		t.Error("a dead replica recorded a message")
	}
	// What the run covered is recorded for the next "new" digest.
	_, ids, err := b.Coverage(memMarks{}).Covered(ctx, "100")
	if err != nil || len(ids) != 25 || !ids["a07"] {
		t.Errorf("covered: %d IDs, %v", len(ids), err)
	}
}

type memMarks map[string]uint64

func (m memMarks) ChannelSeq(_ context.Context, ch string) (uint64, bool, error) {
	v, ok := m[ch]
	return v, ok, nil
}

func (m memMarks) SetChannelSeq(_ context.Context, ch string, seq uint64) error {
	m[ch] = max(m[ch], seq)
	return nil
}

// TestInspect reports the members, the leader and the claims.
func TestInspect(t *testing.T) {
	te := etcdtest.Start(t)
	a, _ := join(t, te, "a"), join(t, te, "b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Lead(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	waitFor(t, 5*time.Second, func() bool { return a.Status().Leading }, "a leads")
	if _, _, err := a.RunLog().BeginRun(ctx, store.DigestRun{Digest: "news", Slot: "2024-07-03T08:01", State: store.RunPending}); err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(ctx, Options{Name: "cli", Endpoints: []string{te.URL}, Prefix: "/t/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Members) != 2 || rep.Leader != "a" || len(rep.Claims) != 1 || rep.Claims[0].Replica != "a" || rep.Claims[0].Slot != "2024-07-03T08:01" {
		t.Fatalf("report: %+v", rep)
	}
	for _, m := range rep.Members {
		if m.LeaseTTL <= 0 || m.LeaseTTL > testLease || m.PID == 0 {
			t.Errorf("member %+v", m)
		}
	}
}

// TestRoundTripsPerDigest counts the etcd requests of one posted digest of
// three messages: the read of the last run, the claim, a fence and a
// record per message, the finish and the prune check.
func TestRoundTripsPerDigest(t *testing.T) {
	te := etcdtest.Start(t)
	a := join(t, te, "a")
	ch := &channelLog{}
	s := scheduler(t, a, ch)
	ctx := context.Background()
	t0 := time.Date(2024, 7, 3, 8, 0, 30, 0, time.UTC)
	if err := s.Tick(ctx, t0); err != nil {
		t.Fatal(err)
	}
	before := a.RoundTrips()
	if err := s.Tick(ctx, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	trips, msgs := a.RoundTrips()-before, int64(len(ch.created()))
	t.Logf("one digest of %d messages: %d etcd round trips", msgs, trips)
	if msgs != 3 || trips > 4+2*msgs {
		t.Errorf("%d etcd round trips for a digest of %d messages, want at most %d", trips, msgs, 4+2*msgs)
	}
}

// TestEtcdMemberLost: a three-member etcd cluster loses one member while a
// replica is posting a run; the replica keeps its lease and finishes.
func TestEtcdMemberLost(t *testing.T) {
	members := etcdtest.StartCluster(t, 3)
	var eps []string
	for _, m := range members {
		eps = append(eps, m.Clients[0].Addr().String())
	}
	for i := range eps {
		eps[i] = "http://" + eps[i]
	}
	n, err := Join(Options{Name: "a", Endpoints: eps, Prefix: "/t/", Lease: testLease})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	waitFor(t, 10*time.Second, func() bool { return n.Status().Up }, "a gets a lease")
	ctx := context.Background()
	l := n.RunLog()
	run := store.DigestRun{Digest: "news", Slot: "2024-07-03T08:01", Channel: "100", State: store.RunPending,
		Messages: []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{}`)}}
	if _, created, err := l.BeginRun(ctx, run); err != nil || !created {
		t.Fatalf("begin: %v %v", created, err)
	}
	if err := l.RecordSent(ctx, "news", run.Slot, 0, "m1", time.Now()); err != nil {
		t.Fatal(err)
	}
	lost := time.Now()
	members[0].Close()
	members[0] = nil
	for time.Since(lost) < 2*testLease {
		if !n.Status().Up {
			t.Fatalf("lease lost when one etcd member of three went: %s", n.Status().Why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, cancel, err := n.Fence(ctx); err != nil {
		t.Fatalf("fence with two members of three: %v", err)
	} else {
		cancel()
	}
	if err := l.RecordSent(ctx, "news", run.Slot, 1, "m2", time.Now()); err != nil {
		t.Fatal(err)
	}
	if r, err := l.FinishRun(ctx, "news", run.Slot, store.RunDone, "", time.Now()); err != nil || len(r.Sent) != 2 {
		t.Fatalf("finish: %+v, %v", r, err)
	}
}
