package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// TestCrashDigestPost kills `digestbot run` while it posts scheduled
// digests to the fake Discord, and restarts it: every digest message must
// reach the channel exactly once.
//
// Each round adds a digest whose run is due at start (its schedule armed
// the day before, caught up at once), so every start posts: first what a
// killed round left unfinished, then the new digest (three messages).
// The bot reaches the fake through a proxy in this test, which sees every
// post arrive and holds the answer to each back for a while after the fake
// has stored the message; the fake itself is slow to store them. A kill a
// random moment after a random post arrives therefore lands before the
// message exists, after it exists but before the bot hears its ID, or
// after the bot recorded it.
//
// What makes it exactly once: the scheduler records a run's messages and
// their nonces before posting any, and each message's ID once posted; a
// restart resumes from the first message not recorded, with the same
// nonce. The only message that can be sent twice is the one in flight at
// the kill, and Discord (the fake likewise) answers a repeated nonce with
// the message it already has, within a few minutes. The test checks the
// outcome, not the fake's deduplication: the channel holds exactly the
// recorded messages, each once, with the recorded IDs, and each was
// created by exactly one request; repeats of a nonce are at most one per
// kill.
func TestCrashDigestPost(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: not in -short")
	}
	t.Parallel() // the two crash tests overlap: the digest one mostly waits
	plan := planCrash(t)
	rng := rand.New(rand.NewSource(plan.seed))
	work := t.TempDir()
	bin := buildDigestbot(t, work)
	start := time.Now()
	const (
		slow = 150 * time.Millisecond // the fake stores a message after this
		hold = 150 * time.Millisecond // the proxy holds back its answer this long
	)
	fake := fakediscord.StartT(t, fakediscord.Options{})
	fake.SlowDown("POST /channels/*/messages", slow, 0)
	proxy := newPostProxy(t, fake.URL(), hold)

	env := cliEnv(work, "DISCORD_TOKEN=crash-token")
	db := filepath.Join(work, "bot.db")
	corpusDir := filepath.Join(work, "corpus")
	if err := writeOnThisDay(corpusDir, time.Now().UTC(), 25, plan.seed); err != nil {
		t.Fatal(err)
	}
	if out, code := runCLI(t, bin, env, "ingest", "--db", db, corpusDir); code != 0 {
		t.Fatalf("ingest exited %d:\n%s", code, out)
	}

	var names []string
	cfg := filepath.Join(work, "digestbot.yaml")
	kills := 0
	for round := 0; kills < plan.digestKills; round++ {
		name := fmt.Sprintf("crash%03d", round)
		names = append(names, name)
		armDigest(t, db, name)
		writeDigestConfig(t, cfg, db, proxy.URL(), names)
		base := proxy.posts()
		outPath := filepath.Join(work, fmt.Sprintf("run-%03d.out", round))
		p := startProc(t, bin, outPath, env, "--config", cfg, "run")
		n := 1 + rng.Intn(3)
		delay := time.Duration(rng.Int63n(int64(slow + hold + 50*time.Millisecond)))
		if err := proxy.waitPosts(base+n, 60*time.Second, p.done); err != nil {
			t.Fatalf("round %d (seed %d): waiting for post %d: %v\n%s", round, plan.seed, n, err, tail(outPath, 3000))
		}
		time.Sleep(delay)
		if !p.kill() {
			t.Fatalf("round %d: the bot exited by itself (%v):\n%s", round, p.waitErr, tail(outPath, 3000))
		}
		kills++
		if testing.Verbose() {
			t.Logf("round %d (seed %d): killed %s after post %d arrived", round, plan.seed, delay.Round(time.Millisecond), n)
		}
		if out, code := runCLI(t, bin, env, "check-db", "--db", db); code != 0 {
			t.Fatalf("round %d (seed %d): check-db after the kill exited %d:\n%s", round, plan.seed, code, out)
		}
	}

	// Restart until nothing is left unfinished.
	for attempt := 0; ; attempt++ {
		unfinished := unfinishedDigests(t, db, names)
		if len(unfinished) == 0 {
			break
		}
		if attempt == 3 {
			t.Fatalf("digests still unfinished after %d clean runs: %v", attempt, unfinished)
		}
		outPath := filepath.Join(work, fmt.Sprintf("final-%d.out", attempt))
		p := startProc(t, bin, outPath, env, "--config", cfg, "run")
		deadline := time.Now().Add(60 * time.Second)
		for _, name := range unfinished {
			for !strings.Contains(readFile(outPath), `msg="digest posted" digest=`+name+" ") {
				if time.Now().After(deadline) {
					t.Fatalf("digest %s not posted after the restart:\n%s", name, tail(outPath, 4000))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.wait(20 * time.Second); err != nil {
			t.Fatalf("the bot did not stop on SIGTERM: %v\n%s", err, tail(outPath, 3000))
		}
	}
	checkPostedOnce(t, fake, db, names, kills)
	t.Logf("crash harness (digest posts): %d kills survived in %s", kills, time.Since(start).Round(time.Second))
}

// readFile returns a whole file (the bot's log), "" if unreadable.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// checkPostedOnce compares what the store recorded of the digests' runs
// with what the fake holds and what it was asked.
func checkPostedOnce(t *testing.T, fake *fakediscord.Server, dbPath string, names []string, kills int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type sent struct{ digest, slot, id string }
	want := map[string]sent{} // by nonce
	for _, name := range names {
		runs, err := db.Runs(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.State == store.RunSkipped {
				continue // armed by the test
			}
			if r.State != store.RunDone || len(r.Sent) != len(r.Messages) || len(r.Messages) == 0 {
				t.Fatalf("digest %s run %s: %s with %d of %d messages sent", name, r.Slot, r.State, len(r.Sent), len(r.Messages))
			}
			for i, raw := range r.Messages {
				var m digest.Message
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				nonce := discord.Nonce(m.Nonce)
				if _, dup := want[nonce]; dup || nonce == "" {
					t.Fatalf("digest %s run %s message %d: nonce %q empty or repeated", name, r.Slot, i+1, nonce)
				}
				want[nonce] = sent{name, r.Slot, r.Sent[i]}
			}
		}
	}
	var posts []fakediscord.Message
	for _, m := range fake.Messages(fakediscord.DefaultChannelID) {
		if m.Kind == fakediscord.KindChannelMessage {
			posts = append(posts, m)
		}
	}
	ids, contents, byNonce := map[string]bool{}, map[string]bool{}, map[string]int{}
	for _, m := range posts {
		ids[m.ID] = true
		title := ""
		if len(m.Embeds) > 0 {
			title = m.Embeds[0].Title
		}
		contents[m.Content+"\x00"+title] = true
		byNonce[m.Nonce]++
		w, ok := want[m.Nonce]
		switch {
		case !ok:
			t.Errorf("message %s (nonce %q) was posted but no run records it: %q", m.ID, m.Nonce, m.Content)
		case w.id != m.ID:
			t.Errorf("digest %s run %s: recorded message ID %s, but the channel holds %s", w.digest, w.slot, w.id, m.ID)
		}
	}
	if len(posts) != len(want) || len(ids) != len(want) || len(contents) != len(want) {
		t.Errorf("the channel holds %d messages (%d distinct IDs, %d distinct contents); the runs recorded %d",
			len(posts), len(ids), len(contents), len(want))
	}
	for nonce, w := range want {
		if byNonce[nonce] != 1 {
			t.Errorf("digest %s run %s: message with nonce %s is in the channel %d times", w.digest, w.slot, nonce, byNonce[nonce])
		}
	}
	// Every request: exactly one created each message; repeats of a nonce
	// (after a kill) are at most one per kill.
	created, repeats, cut, answered := map[string]int{}, 0, 0, 0
	seen := map[string]bool{}
	for _, r := range fake.RequestsTo("POST /channels/*/messages") {
		var body struct {
			Nonce string `json:"nonce"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("post request body: %v", err)
		}
		if seen[body.Nonce] {
			repeats++
		}
		seen[body.Nonce] = true
		switch {
		case r.Status != 200:
			cut++ // the bot died while the fake was slow: nothing stored
		case strings.HasPrefix(r.Note, "nonce: returned existing"):
			answered++ // the message was stored, but the bot died before it heard
		default:
			created[body.Nonce]++
		}
	}
	for nonce, w := range want {
		if created[nonce] != 1 {
			t.Errorf("digest %s run %s: message with nonce %s created by %d requests", w.digest, w.slot, nonce, created[nonce])
		}
	}
	if repeats > kills {
		t.Errorf("%d repeated posts for %d kills: the bot re-posts messages it had recorded", repeats, kills)
	}
	t.Logf("%d messages of %d digests recorded; %d kills: %d posts cut before the fake stored the message, %d repeats answered with the stored one by nonce",
		len(want), len(names), kills, cut, answered)
}

// unfinishedDigests returns the digests of names with a run still
// pending, or none done yet (besides the run the test armed).
func unfinishedDigests(t *testing.T, dbPath string, names []string) []string {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, name := range names {
		runs, err := db.Runs(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		pending, done := false, false
		for _, r := range runs {
			pending = pending || r.State == store.RunPending
			done = done || r.State == store.RunDone
		}
		if pending || !done {
			out = append(out, name)
		}
	}
	return out
}

// armDigest records that digest name's daily schedule ran (was skipped)
// yesterday at midnight UTC, so today's run is due at once.
func armDigest(t *testing.T, dbPath, name string) {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	y, m, d := now.AddDate(0, 0, -1).Date()
	yesterday := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	_, created, err := db.BeginRun(context.Background(), store.DigestRun{Digest: name, Slot: yesterday.Format("2006-01-02T15:04"),
		Due: yesterday, Channel: fakediscord.DefaultChannelID, State: store.RunSkipped, Note: "armed by the crash test", Updated: now})
	if err != nil || !created {
		t.Fatalf("arm digest %s: %v (created %v)", name, err, created)
	}
}

// writeDigestConfig writes a configuration with one daily on-this-day
// digest per name, posted to the fake's channel through the proxy.
func writeDigestConfig(t *testing.T, path, db, apiURL string, names []string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\ntimezone: UTC\ndiscord:\n  api_url: %s\nlog:\n  level: info\ndigests:\n", db, apiURL)
	for _, name := range names {
		fmt.Fprintf(&b, "  - name: %s\n    title: Crash digest %s\n    channel: %q\n    schedule: \"0 0 * * *\"\n"+
			"    select: on-this-day\n    max_articles: 25\n    catch_up_window: 168h\n", name, name, fakediscord.DefaultChannelID)
	}
	testenv.WriteFile(t, path, b.String())
}

// writeOnThisDay writes perDay articles dated on the calendar days of
// yesterday, today and tomorrow in earlier years, so an on-this-day
// digest has perDay stories whenever the test runs.
func writeOnThisDay(dir string, now time.Time, perDay int, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	g := synth.New(seed, 5000)
	rng := rand.New(rand.NewSource(seed))
	sentence := func(n int) string {
		var b strings.Builder
		for w := range n {
			word := g.Word()
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(word)
		}
		return b.String() + "."
	}
	for day := -1; day <= 1; day++ {
		_, m, d := now.AddDate(0, 0, day).Date()
		year := now.Year()
		for i := range perDay {
			// Earlier years that have the day (29 February: leap years).
			for year--; time.Date(year, m, d, 0, 0, 0, 0, time.UTC).Day() != d; year-- {
			}
			var b strings.Builder
			fmt.Fprintf(&b, " date %04d-%02d-%02d %s\n\n", year, m, d, strings.TrimSuffix(sentence(4+rng.Intn(5)), "."))
			for range 3 {
				for range 3 {
					b.WriteString(sentence(8+rng.Intn(12)) + " ")
				}
				b.WriteString("\n\n")
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("day%+d-%02d.txt", day, i)), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// postProxy stands between the bot and the fake Discord. It counts the
// channel posts that arrive and holds back the fake's answer to each for
// a while: the message then exists before the bot knows its ID.
type postProxy struct {
	srv  *httptest.Server
	hold time.Duration

	mu      sync.Mutex
	n       int
	changed chan struct{}
}

var channelPostPath = regexp.MustCompile(`^/api/v\d+/channels/\d+/messages$`)

func newPostProxy(t *testing.T, target string, hold time.Duration) *postProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &postProxy{hold: hold, changed: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: func(resp *http.Response) error {
			if req := resp.Request; req.Method == http.MethodPost && channelPostPath.MatchString(req.URL.Path) {
				select {
				case <-time.After(p.hold):
				case <-req.Context().Done():
				}
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && channelPostPath.MatchString(r.URL.Path) {
			p.mu.Lock()
			p.n++
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's address, for discord.api_url.
func (p *postProxy) URL() string { return p.srv.URL }

// posts returns how many channel posts have arrived.
func (p *postProxy) posts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// waitPosts waits until n channel posts have arrived, for at most d, or
// until exited is closed.
func (p *postProxy) waitPosts(n int, d time.Duration, exited <-chan struct{}) error {
	timeout := time.After(d)
	for {
		p.mu.Lock()
		got, changed := p.n, p.changed
		p.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-exited:
			return fmt.Errorf("the bot exited after %d posts", got)
		case <-timeout:
			return fmt.Errorf("only %d posts after %s", got, d)
		}
	}
}
