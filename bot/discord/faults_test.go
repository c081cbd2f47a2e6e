package discord_test

// Fault tests: the bot against a misbehaving Discord (the fake). After each
// fault the bot must keep answering interactions, post each message once,
// and give back the goroutines and memory the fault cost it.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
)

const (
	callbackRoute = "POST /interactions/*/*/callback"
	postRoute     = "POST /channels/*/messages"
	// heapSlack is how much more live heap a bot may hold after a fault
	// than before it. The fake shares the process and keeps every request
	// and frame it saw (a few hundred here, well under this).
	heapSlack = 2 << 20
)

// faultBot is one bot on the fake Discord, instrumented for fault tests.
type faultBot struct {
	fake  *fakediscord.Server
	tr    *discord.Transport
	rest  *http.Transport // the bot's REST connections
	proxy *gwProxy        // between the bot and the fake's gateway, when asked for
	logs  *logCounter
	// rateLimits counts the 429s reported to Options.OnRateLimit.
	rateLimits atomic.Int64
}

type faultSetup struct {
	fake  fakediscord.Options
	opts  discord.Options
	proxy bool // route the gateway through a gwProxy
}

func startFaulty(t *testing.T, cfg faultSetup) *faultBot {
	t.Helper()
	fb := &faultBot{logs: &logCounter{counts: map[string]int{}}}
	fb.fake = fakediscord.StartT(t, cfg.fake)
	db := testenv.SampleDB(t)
	b := bot.New(bot.Deps{Articles: db, State: db, Search: slowSearch{delay: 300 * time.Millisecond, db: db},
		Now: func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) }})

	opts := cfg.opts
	opts.Token, opts.APIURL = "test-token", fb.fake.URL()
	if opts.DeferAfter == 0 {
		opts.DeferAfter = 100 * time.Millisecond
	}
	if opts.ReconnectMin == 0 {
		opts.ReconnectMin, opts.ReconnectMax = 5*time.Millisecond, 20*time.Millisecond
	}
	fb.rest = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	opts.HTTPClient = &http.Client{Transport: fb.rest, Timeout: 30 * time.Second}
	opts.Log = slog.New(fb.logs)
	opts.OnRateLimit = func(string, time.Duration) { fb.rateLimits.Add(1) }
	if cfg.proxy {
		fb.proxy = startProxy(t, strings.TrimPrefix(fb.fake.URL(), "http://"))
		opts.GatewayURL = "ws://" + fb.proxy.addr() + "/ws"
	}
	var err error
	fb.tr, err = discord.New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fb.tr.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		fb.tr.Close(ctx)
		fb.rest.CloseIdleConnections()
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log (last lines):\n%s", fb.logs.tail())
		}
	})
	return fb
}

// ask sends a command and checks the bot answered it.
func (fb *faultBot) ask(ctx context.Context, t *testing.T, what string) {
	t.Helper()
	cb, err := fb.fake.Exchange(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023")))
	if err != nil {
		t.Fatalf("%s: /date not answered: %v", what, err)
	}
	if len(cb.Data.Embeds) != 1 {
		t.Fatalf("%s: /date answered %+v", what, cb.Data)
	}
}

// askSlow sends a /search, which the bot defers and then edits in.
func (fb *faultBot) askSlow(ctx context.Context, t *testing.T, what string) {
	t.Helper()
	sent, err := fb.fake.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if _, err := fb.fake.WaitCallback(ctx, sent.ID); err != nil {
		t.Fatalf("%s: /search not acknowledged: %v", what, err)
	}
	orig, err := fb.fake.WaitOriginal(ctx, sent.ID)
	for err == nil && orig.Pending {
		orig, err = fb.fake.WaitOriginal(ctx, sent.ID)
	}
	if err != nil || len(orig.Embeds) != 1 {
		t.Fatalf("%s: /search answer %+v, %v", what, orig.Payload, err)
	}
}

// usage is what a bot holds: goroutines and live heap.
type usage struct {
	goroutines int
	heap       uint64
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, heap %.2f MiB", u.goroutines, float64(u.heap)/(1<<20))
}

// measure closes idle REST connections (a keep-alive connection is two
// goroutines of the bot and one of the fake), collects garbage and reads
// the goroutine count and live heap.
func (fb *faultBot) measure() usage {
	fb.rest.CloseIdleConnections()
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
}

// baseline warms the bot up (a command, a deferred command, a post) and
// measures it.
func (fb *faultBot) baseline(ctx context.Context, t *testing.T) usage {
	t.Helper()
	fb.ask(ctx, t, "warm-up")
	fb.askSlow(ctx, t, "warm-up")
	if _, err := fb.tr.Post(ctx, fakediscord.DefaultChannelID, bot.Message{Content: "warm-up"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the last answer's connection back in the pool
	return fb.measure()
}

// settled waits (bounded) for the goroutine count to come back to base's,
// then checks the heap; it returns what it measured.
func (fb *faultBot) settled(t *testing.T, base usage, what string) usage {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	u := fb.measure()
	for u.goroutines > base.goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		u = fb.measure()
	}
	t.Logf("%s: before %v; after %v", what, base, u)
	if u.goroutines > base.goroutines {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%s: %d goroutines, %d before the fault:\n%s", what, u.goroutines, base.goroutines, b.String())
	}
	if u.heap > base.heap+heapSlack {
		t.Errorf("%s: heap %d bytes, %d before the fault (slack %d)", what, u.heap, base.heap, heapSlack)
	}
	return u
}

// faultsCtx bounds one fault test.
func faultsCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestFaultRateLimits: bursts of 429s, per route and global, on
// interaction callbacks and on channel posts; then a storm of 429s on
// callbacks that outlasts Discord's 3 s answer window.
func TestFaultRateLimits(t *testing.T) {
	fb := startFaulty(t, faultSetup{})
	ctx := faultsCtx(t)
	base := fb.baseline(ctx, t)
	ch := fakediscord.DefaultChannelID

	// Callbacks: a burst per route, then a global one, each ridden out
	// inside the 3 s window.
	h := fb.fake.RateLimitNext(callbackRoute, 5, 40*time.Millisecond, false)
	fb.ask(ctx, t, "after 5 route 429s on the callback")
	h2 := fb.fake.RateLimitNext(callbackRoute, 5, 40*time.Millisecond, true)
	fb.askSlow(ctx, t, "after 5 global 429s on the callback")
	if h.Hits() != 5 || h2.Hits() != 5 {
		t.Errorf("429s answered: %d route, %d global; want 5 and 5", h.Hits(), h2.Hits())
	}

	// A retried callback carries its attachment whole.
	h0 := fb.fake.RateLimitNext(callbackRoute, 2, 30*time.Millisecond, false)
	cb, err := fb.fake.Exchange(ctx, fakediscord.SlashCommand("article", fakediscord.Str("id", "ad0293d1ae8f")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Files) != 1 || !strings.HasPrefix(string(cb.Files[0].Data), "Mohe City") || h0.Hits() != 2 {
		t.Errorf("/article after %d 429s: %d files, %.40q", h0.Hits(), len(cb.Files), cb.Files)
	}

	// Many interactions at once through a global burst on everything.
	h3 := fb.fake.RateLimitNext("**", 20, 30*time.Millisecond, true)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fb.fake.Exchange(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", fmt.Sprint(2014+i)))); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("interaction during a global 429 burst: %v", err)
	}

	// Channel posts: bursts per route and global are waited out, once.
	h4 := fb.fake.RateLimitNext(postRoute, 4, 40*time.Millisecond, false)
	if _, err := fb.tr.Post(ctx, ch, bot.Message{Content: "route burst", Nonce: "route-burst"}); err != nil {
		t.Fatalf("post through 4 route 429s: %v", err)
	}
	h5 := fb.fake.RateLimitNext(postRoute, 4, 40*time.Millisecond, true)
	if _, err := fb.tr.Post(ctx, ch, bot.Message{Content: "global burst", Nonce: "global-burst"}); err != nil {
		t.Fatalf("post through 4 global 429s: %v", err)
	}
	// A burst longer than the post's attempts: it gives up, and the retry
	// (the scheduler's, later) posts it once.
	h6 := fb.fake.RateLimitNext(postRoute, 8, 20*time.Millisecond, false)
	if _, err := fb.tr.Post(ctx, ch, bot.Message{Content: "long burst", Nonce: "long-burst"}); err == nil {
		t.Fatal("post through 8 429s succeeded with 6 attempts")
	}
	if _, err := fb.tr.Post(ctx, ch, bot.Message{Content: "long burst", Nonce: "long-burst"}); err != nil {
		t.Fatalf("retried post: %v", err)
	}
	if h4.Hits() != 4 || h5.Hits() != 4 || h6.Hits() != 8 {
		t.Errorf("429s answered on posts: %d, %d, %d; want 4, 4, 8", h4.Hits(), h5.Hits(), h6.Hits())
	}
	posts := map[string]int{}
	for _, m := range fb.fake.Messages(ch) {
		if m.Kind == fakediscord.KindChannelMessage {
			posts[m.Content]++
		}
	}
	for _, c := range []string{"route burst", "global burst", "long burst"} {
		if posts[c] != 1 {
			t.Errorf("%q posted %d times, want once", c, posts[c])
		}
	}
	t.Logf("bursts: %d 429s answered (%d global on everything), %d reported to OnRateLimit", h.Hits()+h2.Hits()+h3.Hits()+h4.Hits()+h5.Hits()+h6.Hits(), h3.Hits(), fb.rateLimits.Load())
	if fb.rateLimits.Load() < 20 {
		t.Errorf("OnRateLimit told of %d 429s, want at least 20", fb.rateLimits.Load())
	}
	fb.settled(t, base, "429 bursts")

	// A storm on the follow-up webhook (the token lasts 15 minutes: the
	// bot keeps trying) must not cost a goroutine per 429.
	hooks := fb.fake.AddFault(fakediscord.Fault{Route: "/webhooks/**", Status: http.StatusTooManyRequests, RetryAfter: 20 * time.Millisecond})
	slow, err := fb.fake.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fb.fake.WaitCallback(ctx, slow.ID); err != nil {
		t.Fatal(err)
	}
	peak := 0
	waitHits(ctx, t, hooks, 30, func() { peak = max(peak, runtime.NumGoroutine()) })
	hooks.Remove()
	if orig, err := fb.fake.WaitOriginal(ctx, slow.ID); err != nil || len(orig.Embeds) != 1 {
		t.Errorf("answer after a webhook storm: %+v, %v", orig.Payload, err)
	}
	t.Logf("webhook storm: %d 429s, peak %d goroutines (%d before)", hooks.Hits(), peak, base.goroutines)
	if peak > base.goroutines+10 {
		t.Errorf("a 429 storm on one follow-up held %d goroutines, %d before", peak, base.goroutines)
	}

	// A storm on callbacks that outlasts the answer window: those
	// interactions cannot be answered, but the bot must stop retrying them
	// once the window is gone, not hold a goroutine each (hammering
	// Discord, which counts every 429 against a ban) for the handler
	// timeout. Posts go on meanwhile.
	storm := fb.fake.AddFault(fakediscord.Fault{Route: callbackRoute, Status: http.StatusTooManyRequests, RetryAfter: 100 * time.Millisecond})
	var sent []fakediscord.Sent
	for range 5 {
		s, err := fb.fake.Interact(ctx, fakediscord.SlashCommand("help"))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, s)
	}
	if _, err := fb.tr.Post(ctx, ch, bot.Message{Content: "during the storm"}); err != nil {
		t.Errorf("post during a callback storm: %v", err)
	}
	waitHits(ctx, t, storm, 10, func() {})
	fb.settled(t, base, "callback 429 storm, still raging") // allows 5 s: past the 3 s window
	hits := storm.Hits()
	storm.Remove()
	for _, s := range sent {
		if cbs := fb.fake.Callbacks(s.ID); len(cbs) > 0 {
			t.Errorf("interaction %s: callbacks %+v after the window", s.ID, cbs)
		}
	}
	fb.ask(ctx, t, "after the callback storm")
	fb.askSlow(ctx, t, "after the callback storm")
	t.Logf("callback storm: %d 429s for 5 interactions", hits)
	fb.settled(t, base, "after the callback storm")
}

// waitHits waits until a fault has answered n requests, calling each
// every 10 ms meanwhile.
func waitHits(ctx context.Context, t *testing.T, h fakediscord.FaultHandle, n int, each func()) {
	t.Helper()
	for h.Hits() < n {
		each()
		select {
		case <-ctx.Done():
			t.Fatalf("the fault answered %d requests, want %d", h.Hits(), n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestFaultServerErrorsForAMinute: every REST call fails with 5xx for a
// minute of the fake's clock. The post's backoff waits advance that clock
// instead of sleeping, so the minute takes no real time.
func TestFaultServerErrorsForAMinute(t *testing.T) {
	clock := &fakediscord.ManualClock{T: time.Date(2024, 7, 3, 6, 0, 0, 0, time.UTC)}
	var waited []time.Duration
	fb := startFaulty(t, faultSetup{
		fake: fakediscord.Options{Clock: clock.Now},
		opts: discord.Options{Post: discord.PostPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			waited = append(waited, d)
			clock.Advance(d)
			return ctx.Err()
		}}},
	})
	ctx := faultsCtx(t)
	base := fb.baseline(ctx, t)
	ch := fakediscord.DefaultChannelID

	// Posts get Cloudflare's 502 page, everything else a JSON 503.
	fb.fake.FailFor(postRoute, time.Minute, http.StatusBadGateway)
	fb.fake.FailFor("**", time.Minute, http.StatusServiceUnavailable)
	start := clock.Now()

	// Interactions during the outage cannot be answered; the bot gives up
	// on each without wedging.
	for _, in := range []fakediscord.Interaction{
		fakediscord.SlashCommand("help"),
		fakediscord.SlashCommand("search", fakediscord.Str("query", "police")), // deferred first
	} {
		n := len(fb.fake.RequestsTo(callbackRoute))
		if _, err := fb.fake.Interact(ctx, in); err != nil {
			t.Fatal(err)
		}
		reqs, err := fb.fake.WaitRequests(ctx, callbackRoute, n+1)
		if err != nil {
			t.Fatal(err)
		}
		if st := reqs[len(reqs)-1].Status; st != http.StatusServiceUnavailable {
			t.Errorf("callback during the outage answered %d", st)
		}
	}

	// The digest post backs off 1, 2, 4, 8, 16 s and gives up at 31 s,
	// half-way through the outage.
	msg := bot.Message{Content: "morning digest", Nonce: "morning\x002024-07-03T08:00"}
	_, err := fb.tr.Post(ctx, ch, msg)
	if err == nil || !strings.Contains(err.Error(), "gave up after 6 attempts") {
		t.Fatalf("post during the outage: %v", err)
	}
	reqs := fb.fake.RequestsTo(postRoute)
	failed := 0
	for _, r := range reqs {
		if r.Status == http.StatusBadGateway {
			failed++
		}
	}
	if failed != 6 {
		t.Errorf("%d posts answered 502, want 6 (one per attempt; no hidden 502 retries)", failed)
	}
	t.Logf("post gave up after %v of the outage, waits %v", clock.Now().Sub(start), waited)

	// The scheduler retries a failed run 30 s later: the outage is over,
	// and the post, with the same nonce, goes out once.
	clock.Advance(30 * time.Second)
	if _, err := fb.tr.Post(ctx, ch, msg); err != nil {
		t.Fatalf("post after the outage: %v", err)
	}
	if _, err := fb.tr.Post(ctx, ch, msg); err != nil { // a repeat: absorbed by the nonce
		t.Fatalf("repeat post: %v", err)
	}
	if n := countContent(fb.fake.Messages(ch), "morning digest"); n != 1 {
		t.Errorf("digest posted %d times, want once", n)
	}
	fb.ask(ctx, t, "after a minute of 5xx")
	fb.askSlow(ctx, t, "after a minute of 5xx")
	fb.settled(t, base, "a minute of 5xx")
}

func countContent(msgs []fakediscord.Message, content string) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == fakediscord.KindChannelMessage && !m.Deleted && m.Content == content {
			n++
		}
	}
	return n
}

// TestFaultGateway: the websocket dropped 50 times in a row, invalid
// sessions (op 9, resumable and not), RECONNECT (op 7) and a zombie
// connection (no heartbeat ACKs).
func TestFaultGateway(t *testing.T) {
	fb := startFaulty(t, faultSetup{
		// Heartbeats every 250 ms: a zombie is found in 1.25 s. The answer
		// window is off: interactions sent during an outage are answered
		// after it, however long the CI machine takes.
		fake:  fakediscord.Options{HeartbeatInterval: 250 * time.Millisecond, CallbackDeadline: -1},
		proxy: true,
	})
	ctx := faultsCtx(t)
	base := fb.baseline(ctx, t)
	f := fb.fake
	// untilSent applies a gateway fault once a live connection takes it.
	untilSent := func(fault func() int) {
		t.Helper()
		for {
			if err := f.WaitSession(ctx); err != nil {
				t.Fatal(err)
			}
			if fault() > 0 {
				return
			}
		}
	}
	// oneConnection checks the bot did not leave a second connection open.
	oneConnection := func(what string) {
		t.Helper()
		if err := f.WaitSession(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // a stray second reconnect would be under way
		if st := f.GatewayStats(); st.Live != 1 {
			t.Errorf("%s: %d live gateway connections, want 1", what, st.Live)
		}
		if up, _ := fb.tr.Connected(); !up {
			t.Errorf("%s: transport reports the gateway down", what)
		}
	}

	// The connection drops, and so do the next 50 attempts: half cut at
	// once, half after the websocket upgrade. An interaction sent during
	// the outage is replayed on RESUME and answered.
	before, reconnects := f.GatewayStats(), fb.tr.Reconnects()
	fb.proxy.dropNext(50)
	untilSent(f.DropGateway)
	sent, err := f.Interact(ctx, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitCallback(ctx, sent.ID); err != nil {
		t.Fatalf("interaction sent during the outage: %v", err)
	}
	after := f.GatewayStats()
	t.Logf("50 drops: %d attempts failed, %d reconnects, %d resumes, %d identifies",
		fb.logs.count("discord gateway reconnect failed"), fb.tr.Reconnects()-reconnects,
		after.Resumes-before.Resumes, after.Identifies-before.Identifies)
	if got := fb.proxy.dropped(); got != 50 {
		t.Errorf("proxy dropped %d connections, want 50", got)
	}
	if got := fb.logs.count("discord gateway reconnect failed"); got != 50 {
		t.Errorf("%d failed reconnection attempts logged, want 50", got)
	}
	if after.Resumes == before.Resumes || after.Identifies != before.Identifies {
		t.Errorf("after the drops: %d resumes and %d identifies, want 1 and 0 (the session resumed)",
			after.Resumes-before.Resumes, after.Identifies-before.Identifies)
	}
	oneConnection("50 drops")
	fb.ask(ctx, t, "after 50 drops")

	// op 9 (topics/gateway#resuming): not resumable, the bot disconnects,
	// opens a new connection and identifies; resumable, it reconnects and
	// resumes. Never a handshake on the connection that got op 9 (the fake
	// records that as a violation, failing the test).
	for _, resumable := range []bool{false, true} {
		before := f.GatewayStats()
		untilSent(func() int { return f.InvalidateSession(resumable) })
		if err := f.WaitHandshakes(ctx, before.Handshakes+1); err != nil {
			t.Fatal(err)
		}
		after := f.GatewayStats()
		what := fmt.Sprintf("op 9 (resumable %v)", resumable)
		if after.Connections == before.Connections {
			t.Errorf("%s: no new connection", what)
		}
		if !resumable && (after.Identifies != before.Identifies+1 || after.SessionID == before.SessionID) {
			t.Errorf("%s: %d identifies, session %s→%s; want a new session", what,
				after.Identifies-before.Identifies, before.SessionID, after.SessionID)
		}
		if resumable && (after.Resumes != before.Resumes+1 || after.Identifies != before.Identifies || after.SessionID != before.SessionID) {
			t.Errorf("%s: %d resumes, %d identifies, session %s→%s; want the session resumed", what,
				after.Resumes-before.Resumes, after.Identifies-before.Identifies, before.SessionID, after.SessionID)
		}
		oneConnection(what)
		fb.ask(ctx, t, "after "+what)
	}

	// op 7: reconnect and resume.
	before = f.GatewayStats()
	untilSent(f.Reconnect)
	if err := f.WaitHandshakes(ctx, before.Handshakes+1); err != nil {
		t.Fatal(err)
	}
	if after := f.GatewayStats(); after.Resumes != before.Resumes+1 {
		t.Errorf("op 7: %d resumes, want 1", after.Resumes-before.Resumes)
	}
	oneConnection("op 7")
	fb.askSlow(ctx, t, "after op 7")

	// A zombie: the connection stays up but no heartbeat is acknowledged;
	// the bot gives up on it at its next heartbeat, closing with a code
	// that keeps the session (not 1000), and resumes.
	resumes := len(framesFromBot(f, 6))
	f.SetHeartbeatAcks(false)
	if _, err := f.WaitFrames(ctx, true, 6, "", resumes+1); err != nil {
		t.Fatal(err)
	}
	f.SetHeartbeatAcks(true)
	oneConnection("zombie connection")
	fb.ask(ctx, t, "after a zombie connection")
	st := f.GatewayStats()
	t.Logf("gateway: %d connections, %d identifies, %d resumes, %d handshakes; transport reconnects %d",
		st.Connections, st.Identifies, st.Resumes, st.Handshakes, fb.tr.Reconnects())
	fb.settled(t, base, "gateway faults")
}

func framesFromBot(f *fakediscord.Server, op int) []fakediscord.Frame {
	var out []fakediscord.Frame
	for _, fr := range f.Frames() {
		if fr.FromBot && fr.Op == op {
			out = append(out, fr)
		}
	}
	return out
}

// TestFaultSlowCallbacks: the callback endpoint answers slowly. The bot
// answers every interaction anyway, concurrently, without holding up its
// posts; a callback too slow for the answer window fails alone.
func TestFaultSlowCallbacks(t *testing.T) {
	fb := startFaulty(t, faultSetup{})
	ctx := faultsCtx(t)
	base := fb.baseline(ctx, t)
	f := fb.fake

	slow := f.SlowDown("/interactions/**", time.Second, 0)
	slowHooks := f.SlowDown("/webhooks/**", 300*time.Millisecond, 0)
	var sent []fakediscord.Sent
	for i := range 8 {
		in := fakediscord.SlashCommand("date", fakediscord.Str("when", fmt.Sprint(2015+i)))
		if i%2 == 1 {
			in = fakediscord.SlashCommand("search", fakediscord.Str("query", "police")) // deferred, then edited
		}
		s, err := f.Interact(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, s)
	}
	// While the callbacks are held up, a post goes straight through.
	if _, err := fb.tr.Post(ctx, fakediscord.DefaultChannelID, bot.Message{Content: "not held up"}); err != nil {
		t.Fatal(err)
	}
	answered := 0
	for _, s := range sent {
		answered += len(f.Callbacks(s.ID))
	}
	if answered != 0 {
		t.Errorf("%d callbacks landed before the post; the post waited behind slow callbacks", answered)
	}
	for i, s := range sent {
		if _, err := f.WaitCallback(ctx, s.ID); err != nil {
			t.Errorf("interaction %d through a slow endpoint: %v", i, err)
		}
		if i%2 == 1 {
			orig, err := f.WaitOriginal(ctx, s.ID)
			for err == nil && orig.Pending {
				orig, err = f.WaitOriginal(ctx, s.ID)
			}
			if err != nil || len(orig.Embeds) != 1 {
				t.Errorf("deferred interaction %d: %+v, %v", i, orig.Payload, err)
			}
		}
	}
	slow.Remove()
	slowHooks.Remove()

	// A callback slower than the 3 s window fails; the next one is fine.
	n := len(f.RequestsTo(callbackRoute))
	tooSlow := f.SlowDown(callbackRoute, 3300*time.Millisecond, 1)
	late, err := f.Interact(ctx, fakediscord.SlashCommand("help"))
	if err != nil {
		t.Fatal(err)
	}
	waitHits(ctx, t, tooSlow, 1, func() {}) // the late callback is the one held up
	fb.ask(ctx, t, "beside a callback slower than the window")
	if _, err := f.WaitRequests(ctx, callbackRoute, n+2); err != nil {
		t.Fatal(err)
	}
	fb.settled(t, base, "slow callbacks")
	if cbs := f.Callbacks(late.ID); len(cbs) != 1 || cbs[0].Accepted() {
		t.Errorf("a callback 3.3 s late: %+v, want one, refused", cbs)
	}
	if fb.logs.count("answering interaction failed") == 0 {
		t.Error("the late callback's failure was not logged")
	}
}

// gwProxy sits between the bot and the fake's gateway and can drop the
// next connections: the websocket dropped again and again.
type gwProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	drop   int // connections still to drop
	ndrop  int // dropped so far
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *gwProxy {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &gwProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *gwProxy) addr() string { return p.ln.Addr().String() }

// dropped is how many connections the proxy has dropped.
func (p *gwProxy) dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ndrop
}

// dropNext drops the next n connections: odd ones at once, even ones
// after the fake's first answer (the websocket upgrade).
func (p *gwProxy) dropNext(n int) {
	p.mu.Lock()
	p.drop += n
	p.mu.Unlock()
}

func (p *gwProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.drop > 0
		if cut {
			p.drop--
			p.ndrop++
		}
		n := p.ndrop
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			if cut && n%2 == 1 {
				c.Close()
				return
			}
			p.pipe(c, cut)
		}()
	}
}

// pipe forwards between c and the fake. With cut, it forwards the bot's
// websocket upgrade request and the fake's first answer (the upgrade,
// perhaps HELLO) and then closes both sides: nothing the bot sends after
// reaches the fake.
func (p *gwProxy) pipe(c net.Conn, cut bool) {
	s, err := net.Dial("tcp4", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		return
	}
	defer p.untrack(c, s)
	defer c.Close()
	defer s.Close()
	if cut {
		deadline := time.Now().Add(5 * time.Second)
		c.SetDeadline(deadline)
		s.SetDeadline(deadline)
		buf := make([]byte, 4096)
		for _, fromTo := range [][2]net.Conn{{c, s}, {s, c}} {
			n, err := fromTo[0].Read(buf)
			if err != nil {
				return
			}
			if _, err := fromTo[1].Write(buf[:n]); err != nil {
				return
			}
		}
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(s, c)
		s.Close()
	}()
	io.Copy(c, s)
	c.Close()
	<-done
}

func (p *gwProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *gwProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *gwProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// logCounter is a slog handler counting messages and keeping the last
// lines for a failure report.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
	lines  []string
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.Time.Format("15:04:05.000"), r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Message]++
	l.lines = append(l.lines, b.String())
	if len(l.lines) > 200 {
		l.lines = append(l.lines[:0:0], l.lines[100:]...)
	}
	return nil
}

func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[msg]
}

func (l *logCounter) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
