package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/internal/testenv/etcdtest"
	"github.com/digestbot/digestbot/store"
)

// Cluster end-to-end: three real digestbot processes on one embedded etcd
// (reached through a proxy the test can cut) post a digest due every
// minute to the fake Discord. The schedules' clock runs clusterRate times
// faster (DIGESTBOT_TEST_CLOCK, the same anchor for all three); leases
// and everything else run in real time.
//
// A failover (lease plus election, about 2.5 s; up to 5.5 s seen on a
// loaded 2-core machine) must take less than a slot: were two slots due
// when the next leader looks, the scheduler posts the latest and skips the
// earlier one (catch_up: once), as after any downtime.
const (
	clusterRate  = 6 // a minute passes in 10 s
	clusterLease = 2 * time.Second
	clusterKills = 10
)

type replica struct {
	name, dir, cfg, out string
	env                 []string
	http                string
	p                   *proc
	starts              int
}

type clusterEnv struct {
	t        *testing.T
	bin      string
	fake     *fakediscord.Server
	etcd     string // address, for reading the runs
	reps     []*replica
	failover []time.Duration
}

// TestClusterDigestsExactlyOnce: all three replicas start at once; the
// replica posting a digest is SIGKILLed mid-post ten times (and
// restarted); one is SIGSTOPped past its lease mid-post and continued;
// etcd is cut off for a while. Every digest slot is posted exactly once —
// no duplicate, no miss — until etcd is cut; nothing is posted while it is
// cut, health and metrics say why, commands are still answered, and the
// latest missed slot is caught up once it is back.
func TestClusterDigestsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster end-to-end: not in -short")
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	work := t.TempDir()
	c := &clusterEnv{t: t, bin: buildDigestbot(t, work), etcd: etcdtest.Start(t).Addr()}
	proxy := etcdtest.NewCutProxy(t, c.etcd)
	// Replicas are SIGSTOPped past their lease on purpose: the heartbeats
	// they miss meanwhile are the point, not a client breaking a rule.
	c.fake = fakediscord.StartT(t, fakediscord.Options{TolerateViolations: true})
	// Posts are slow to answer, so kills land while one is in flight.
	c.fake.SlowDown("POST /channels/*/messages", 120*time.Millisecond, 0)
	corpusDir := filepath.Join(work, "corpus")
	if err := writeOnThisDay(corpusDir, time.Now().UTC(), 25, seed); err != nil {
		t.Fatal(err)
	}
	anchor := time.Now().Unix()
	for i := range 3 {
		r := &replica{name: fmt.Sprintf("r%d", i), dir: filepath.Join(work, fmt.Sprintf("r%d", i))}
		r.cfg = filepath.Join(r.dir, "digestbot.yaml")
		r.http = fmt.Sprintf("127.0.0.1:%d", etcdtest.FreePort(t))
		r.env = cliEnv(r.dir, "DISCORD_TOKEN=token-"+r.name, fmt.Sprintf("DIGESTBOT_TEST_CLOCK=%d,%d", anchor, clusterRate))
		must(t, os.MkdirAll(r.dir, 0o755))
		testenv.WriteFile(t, r.cfg, clusterConfig(r, c.fake.URL(), proxy.URL()))
		if out, code := runCLI(t, c.bin, r.env, "--config", r.cfg, "ingest", corpusDir); code != 0 {
			t.Fatalf("ingest for %s exited %d:\n%s", r.name, code, out)
		}
		c.reps = append(c.reps, r)
	}
	began := time.Now()
	for _, r := range c.reps {
		c.start(r)
	}
	// All three start at once: three slots are posted, once each.
	c.waitDone(3, 60*time.Second)
	t.Logf("three replicas up, three digests posted in %s", time.Since(began).Round(time.Millisecond))
	out, code := runCLI(t, c.bin, c.reps[0].env, "--config", c.reps[0].cfg, "cluster")
	if code != 0 || !strings.Contains(out, "leader: r") || !strings.Contains(out, "r0 ") || !strings.Contains(out, "r1 ") || !strings.Contains(out, "r2 ") {
		t.Errorf("digestbot cluster exited %d:\n%s", code, out)
	} else if testing.Verbose() {
		t.Logf("digestbot cluster:\n%s", out)
	}

	for k := range clusterKills {
		r, at := c.nextPoster(30 * time.Second)
		time.Sleep(time.Duration(rng.Int63n(int64(150 * time.Millisecond))))
		c.kill(r)
		c.start(r)
		c.failover = append(c.failover, c.nextPostAfter(r, at, 30*time.Second))
		if testing.Verbose() {
			t.Logf("kill %d: %s killed mid-post; failover %s", k+1, r.name, c.failover[k])
		}
	}

	// SIGSTOP the poster past its lease, then let it go on: it posts
	// nothing stale.
	r, _ := c.nextPoster(30 * time.Second)
	must(t, r.p.cmd.Process.Signal(syscall.SIGSTOP))
	time.Sleep(clusterLease + 2500*time.Millisecond)
	must(t, r.p.cmd.Process.Signal(syscall.SIGCONT))
	woke := time.Now()
	time.Sleep(2 * time.Minute / clusterRate)
	for _, q := range c.posts() {
		if q.Time.After(woke) && c.poster(q) == r {
			t.Errorf("%s posted at %s, after it woke from a pause past its lease at %s", r.name, q.Time.Format(time.StampMilli), woke.Format(time.StampMilli))
		}
	}
	c.waitDone(len(c.doneRuns())+1, 30*time.Second)
	beforeCut := c.doneRuns()

	// etcd unreachable: no posts once the leases are out, health and
	// metrics say why, commands are answered; then a catch-up.
	proxy.Cut()
	cut := time.Now()
	time.Sleep(clusterLease + 1500*time.Millisecond)
	for _, r := range c.reps {
		code, body := httpGet(t, "http://"+r.http+"/healthz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "cluster") {
			t.Errorf("%s /healthz with etcd cut off: %d %q", r.name, code, body)
		}
		if _, m := httpGet(t, "http://"+r.http+"/metrics"); !strings.Contains(m, "digestbot_cluster_up 0") {
			t.Errorf("%s /metrics with etcd cut off lacks digestbot_cluster_up 0", r.name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	cb, err := c.fake.Exchange(ctx, fakediscord.SlashCommand("help"))
	cancel()
	if err != nil || cb.Data.Content+strings.Join(embedTexts(cb.Data.Embeds), "") == "" {
		t.Errorf("/help with etcd cut off: %+v, %v", cb, err)
	}
	time.Sleep(2 * time.Minute / clusterRate)
	for _, q := range c.posts() {
		if q.Time.After(cut.Add(clusterLease)) {
			t.Errorf("a post at %s, with etcd cut off since %s", q.Time.Format(time.StampMilli), cut.Format(time.StampMilli))
		}
	}
	proxy.Restore()
	back := time.Now()
	c.waitDone(len(beforeCut)+1, 45*time.Second)
	t.Logf("etcd back: posting again after %s", time.Since(back).Round(time.Millisecond))

	c.report(seed)
	for _, r := range c.reps {
		_ = r.p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, r := range c.reps {
		if err := r.p.wait(20 * time.Second); err != nil {
			t.Errorf("%s did not stop on SIGTERM: %v\n%s", r.name, err, tail(r.out, 2000))
		}
	}
	c.checkExactlyOnce(beforeCut, clusterKills+1)
	t.Logf("cluster end-to-end (seed %d) in %s", seed, time.Since(began).Round(time.Second))
}

func clusterConfig(r *replica, apiURL, etcdURL string) string {
	return fmt.Sprintf(`database: %s
timezone: UTC
discord:
  api_url: %s
http:
  listen: %s
bot:
  rescan_interval: 0s
cluster:
  name: %s
  etcd:
    endpoints: [%s]
  lease: %s
digests:
  - name: minutely
    title: Every minute
    channel: %q
    schedule: "* * * * *"
    select: on-this-day
    max_articles: 25
`, filepath.Join(r.dir, "bot.db"), apiURL, r.http, r.name, etcdURL, clusterLease, fakediscord.DefaultChannelID)
}

func (c *clusterEnv) start(r *replica) {
	c.t.Helper()
	r.starts++
	r.out = filepath.Join(r.dir, fmt.Sprintf("run-%d.log", r.starts))
	r.p = startProc(c.t, c.bin, r.out, r.env, "--config", r.cfg, "run")
}

func (c *clusterEnv) kill(r *replica) {
	c.t.Helper()
	if !r.p.kill() {
		c.t.Fatalf("%s had exited by itself (%v):\n%s", r.name, r.p.waitErr, tail(r.out, 3000))
	}
}

// posts are the channel posts the fake received, in arrival order.
func (c *clusterEnv) posts() []fakediscord.Request {
	return c.fake.RequestsTo("POST /channels/*/messages")
}

// poster is the replica that sent a request (each has its own token).
func (c *clusterEnv) poster(q fakediscord.Request) *replica {
	for _, r := range c.reps {
		if strings.HasSuffix(q.Header.Get("Authorization"), "token-"+r.name) {
			return r
		}
	}
	c.t.Fatalf("a post with an unknown token %q", q.Header.Get("Authorization"))
	return nil
}

// nextPoster waits for the next post to arrive and returns who sent it
// and when.
func (c *clusterEnv) nextPoster(limit time.Duration) (*replica, time.Time) {
	c.t.Helper()
	base := len(c.posts())
	deadline := time.Now().Add(limit)
	for {
		if ps := c.posts(); len(ps) > base {
			return c.poster(ps[base]), ps[base].Time
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no post for %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nextPostAfter waits for a message created by a replica other than dead
// after t, and returns how long after t it came: the failover time.
func (c *clusterEnv) nextPostAfter(dead *replica, t time.Time, limit time.Duration) time.Duration {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, q := range c.posts() {
			if q.Time.After(t) && q.Status == http.StatusOK && c.poster(q) != dead {
				return q.Time.Sub(t)
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no other replica posted within %s after %s was killed", limit, dead.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runs reads the digest's runs from etcd, oldest first.
func (c *clusterEnv) runs() []store.DigestRun {
	c.t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.etcd}, DialTimeout: 5 * time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, err := cli.Get(ctx, "/digestbot/runs/minutely/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		c.t.Fatal(err)
	}
	var out []store.DigestRun
	for _, kv := range g.Kvs {
		var r store.DigestRun
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (c *clusterEnv) doneRuns() []store.DigestRun {
	var out []store.DigestRun
	for _, r := range c.runs() {
		if r.State == store.RunDone {
			out = append(out, r)
		}
	}
	return out
}

func (c *clusterEnv) waitDone(n int, limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for len(c.doneRuns()) < n {
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, r := range c.reps {
				fmt.Fprintf(&logs, "--- %s:\n%s\n", r.name, tail(r.out, 1500))
			}
			c.t.Fatalf("%d digests done after %s, want %d; runs %+v\n%s", len(c.doneRuns()), limit, n, c.runs(), logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// report logs the measured numbers: failover, etcd requests per digest,
// memory per replica.
func (c *clusterEnv) report(seed int64) {
	slices.Sort(c.failover)
	if n := len(c.failover); n > 0 {
		c.t.Logf("failover (claimer killed → next post by another replica), %d kills: min %s, median %s, max %s",
			n, c.failover[0].Round(time.Millisecond), c.failover[n/2].Round(time.Millisecond), c.failover[n-1].Round(time.Millisecond))
	}
	for _, r := range c.reps {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.p.cmd.Process.Pid))
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
				c.t.Logf("%s %s", r.name, strings.Join(strings.Fields(line), " "))
			}
		}
	}
}

// checkExactlyOnce checks every recorded run against the channel: each
// message created once, by one request, with the recorded ID; at most one
// repeated post per kill; and no slot missed between the first digest and
// the etcd cut.
func (c *clusterEnv) checkExactlyOnce(beforeCut []store.DigestRun, kills int) {
	t := c.t
	t.Helper()
	want := map[string]string{} // nonce → recorded message ID
	for _, r := range c.runs() {
		if r.State == store.RunSkipped {
			continue
		}
		if r.State != store.RunDone || len(r.Sent) != len(r.Messages) || len(r.Messages) == 0 {
			t.Errorf("run %s: %s with %d of %d messages sent", r.Slot, r.State, len(r.Sent), len(r.Messages))
			continue
		}
		for i, raw := range r.Messages {
			var m digest.Message
			must(t, json.Unmarshal(raw, &m))
			want[discord.Nonce(m.Nonce)] = r.Sent[i]
		}
	}
	held := map[string]int{}
	for _, m := range c.fake.Messages(fakediscord.DefaultChannelID) {
		if m.Kind != fakediscord.KindChannelMessage {
			continue
		}
		held[m.Nonce]++
		if id, ok := want[m.Nonce]; !ok || id != m.ID {
			t.Errorf("message %s (nonce %s) in the channel: recorded as %q", m.ID, m.Nonce, id)
		}
	}
	created, repeats := map[string]int{}, 0
	seen := map[string]bool{}
	for _, q := range c.posts() {
		var body struct {
			Nonce string `json:"nonce"`
		}
		must(t, json.Unmarshal(q.Body, &body))
		if seen[body.Nonce] {
			repeats++
		}
		seen[body.Nonce] = true
		if q.Status == http.StatusOK && !strings.HasPrefix(q.Note, "nonce: returned existing") {
			created[body.Nonce]++
		}
	}
	for nonce := range want {
		if held[nonce] != 1 || created[nonce] != 1 {
			t.Errorf("nonce %s: %d in the channel, created by %d requests", nonce, held[nonce], created[nonce])
		}
	}
	if repeats > kills {
		t.Errorf("%d repeated posts for %d kills and pauses", repeats, kills)
	}
	// No miss: consecutive minutes from the first digest to the cut.
	for i := 1; i < len(beforeCut); i++ {
		a, _ := time.Parse("2006-01-02T15:04", beforeCut[i-1].Slot)
		b, _ := time.Parse("2006-01-02T15:04", beforeCut[i].Slot)
		if b.Sub(a) != time.Minute {
			t.Errorf("slots %s and %s: %s apart, want a minute (slots missed)", beforeCut[i-1].Slot, beforeCut[i].Slot, b.Sub(a))
		}
	}
	t.Logf("%d digests, %d messages, each created once; %d repeated posts answered by nonce", len(c.doneRuns()), len(want), repeats)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func embedTexts(es []fakediscord.Embed) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Title+e.Description)
	}
	return out
}
