package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
)

// TestScheduledDigestsThroughFaults runs the real startup path with two
// digests falling due while Discord misbehaves: global 429s and then a
// minute of 502s on channel posts, 429s on interaction callbacks, the
// gateway dropped, the session invalidated and a RECONNECT. Each digest is
// posted exactly once, the bot answers commands throughout, and once it
// stops its goroutines and heap are back where a quiet run left them.
func TestScheduledDigestsThroughFaults(t *testing.T) {
	const chA, chB = "1000000000000000201", "1000000000000000202"
	clock := &fakediscord.ManualClock{T: time.Date(2024, 7, 3, 6, 0, 0, 0, time.UTC)}
	fake := fakediscord.StartT(t, fakediscord.Options{Clock: clock.Now, Guilds: []fakediscord.Guild{{
		ID: fakediscord.DefaultGuildID, Name: "Test Guild",
		Channels: []fakediscord.Channel{{ID: chA, Name: "morning"}, {ID: chB, Name: "news"}},
	}}})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "digestbot.yaml")
	testenv.WriteFile(t, cfg, fmt.Sprintf(`database: %s
timezone: Europe/Berlin
discord:
  token_env: TEST_BOT_TOKEN
  api_url: %s
digests:
  - name: morning
    channel: %q
    schedule: "0 8 * * *"
    select: on-this-day
  - name: news
    channel: %q
    schedule: "0 8 * * *"
    select: on-this-day
`, filepath.Join(dir, "bot.db"), fake.URL(), chA, chB))
	wait, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	// start runs the bot on a clock that reads base and runs at the real
	// pace; stop ends it gracefully.
	start := func(base time.Time) (logs *syncBuffer, stop func()) {
		t.Helper()
		logs = &syncBuffer{}
		began := time.Now()
		m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs,
			Getenv: env(map[string]string{"HOME": dir, "TEST_BOT_TOKEN": "tok"}),
			Now:    func() time.Time { return base.Add(time.Since(began)) }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx, []string{"--config", cfg}) }()
		var once sync.Once
		var runErr error
		end := func() error {
			once.Do(func() { cancel(); runErr = <-done })
			return runErr
		}
		t.Cleanup(func() { end() }) // after a failure too
		for !strings.Contains(logs.String(), "running on Discord") {
			select {
			case err := <-done:
				done <- err // for end
				t.Fatalf("the bot stopped: %v\n%s", err, logs)
			case <-wait.Done():
				t.Fatalf("the bot never started:\n%s", logs)
			case <-time.After(10 * time.Millisecond):
			}
		}
		return logs, func() {
			t.Helper()
			if err := end(); err != nil {
				t.Fatalf("run: %v\nlogs:\n%s", err, logs)
			}
		}
	}
	ask := func(what string) {
		t.Helper()
		cb, err := fake.Exchange(wait, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
		if err != nil {
			t.Fatalf("%s: /search: %v", what, err)
		}
		if len(cb.Data.Embeds) != 1 || !strings.Contains(cb.Data.Embeds[0].Fields[0].Name, "Mohe City") {
			t.Fatalf("%s: /search answered %+v", what, cb.Data)
		}
	}

	pre := usageNow()
	// A quiet run an hour before the slot arms the schedules and warms
	// everything up; what is left after it is the baseline.
	_, stop := start(time.Date(2024, 7, 3, 5, 0, 0, 0, time.UTC))
	ask("quiet run")
	stop()
	base := settle(t, usageNow(), time.Second) // what the quiet run left
	t.Logf("before any run: %v; after a quiet run: %v", pre, base)

	// The faulty run: its clock starts 1.5 s before 08:00 in Berlin.
	route := "POST /channels/*/messages"
	burst := fake.RateLimitNext(route, 2, 100*time.Millisecond, true)
	outage := fake.FailFor(route, time.Minute, http.StatusBadGateway)
	callbacks := fake.RateLimitNext("POST /interactions/*/*/callback", 3, 50*time.Millisecond, true)
	began := time.Now()
	logs, stop := start(time.Date(2024, 7, 3, 5, 59, 58, 500_000_000, time.UTC))
	defer func() {
		if t.Failed() {
			t.Logf("logs of the faulty run:\n%s", logs)
		}
	}()
	ask("through 429s on the callback")

	// The first digest's post meets two global 429s, then 502s. After two
	// of those the minute passes (on the fake's clock) while the post
	// backs off, and meanwhile the gateway fails three ways.
	for {
		n := 0
		for _, r := range fake.RequestsTo(route) {
			if r.Status == http.StatusBadGateway {
				n++
			}
		}
		if n >= 2 {
			break
		}
		if _, err := fake.WaitRequests(wait, route, len(fake.RequestsTo(route))+1); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	for _, fault := range []struct {
		what string
		do   func() int
	}{
		{"a dropped gateway", fake.DropGateway},
		{"an invalid session", func() int { return fake.InvalidateSession(false) }},
		{"op 7", fake.Reconnect},
	} {
		if err := fake.WaitSession(wait); err != nil {
			t.Fatal(err)
		}
		if fault.do() == 0 {
			t.Errorf("%s: no gateway connection", fault.what)
		}
		ask("after " + fault.what)
	}
	for _, ch := range []string{chA, chB} {
		if _, err := fake.WaitMessages(wait, ch, 1); err != nil {
			t.Fatalf("no digest in channel %s: %v", ch, err)
		}
	}
	time.Sleep(500 * time.Millisecond) // a repeat, if one were coming
	ask("after the digests")
	stop()
	t.Logf("faulty run: %v, %d 429s on posts, %d 502s, %d 429s on callbacks, gateway %+v",
		time.Since(began).Round(time.Millisecond), burst.Hits(), outage.Hits(), callbacks.Hits(), fake.GatewayStats())

	for _, ch := range []string{chA, chB} {
		var posts []fakediscord.Message
		for _, m := range fake.Messages(ch) {
			if m.Kind == fakediscord.KindChannelMessage {
				posts = append(posts, m)
			}
		}
		if len(posts) != 1 || posts[0].Nonce == "" || !strings.Contains(posts[0].Content, "On this day") {
			t.Errorf("channel %s: %d posts, want one digest with a nonce: %+v", ch, len(posts), posts)
		}
	}
	// Every attempt is accounted for: two global 429s and the 502s for the
	// first digest, then one post each.
	statuses := map[int]int{}
	for _, r := range fake.RequestsTo(route) {
		statuses[r.Status]++
	}
	if statuses[429] != 2 || statuses[502] < 2 || statuses[200] != 2 || len(statuses) != 3 {
		t.Errorf("post requests by status: %v, want 2×429, 502s, 2×200", statuses)
	}
	if st := fake.GatewayStats(); st.Live != 0 {
		t.Errorf("%d gateway connections left open", st.Live)
	}

	after := settle(t, base, 5*time.Second)
	t.Logf("after the faulty run: %v (baseline %v)", after, base)
	if after.goroutines > base.goroutines {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d goroutines after the faulty run, %d after the quiet one:\n%s", after.goroutines, base.goroutines, b.String())
	}
	const slack = 4 << 20 // the fake keeps every request and frame
	if after.heap > base.heap+slack {
		t.Errorf("heap %d bytes after the faulty run, %d after the quiet one", after.heap, base.heap)
	}
}

type procUsage struct {
	goroutines int
	heap       uint64
}

func (u procUsage) String() string {
	return fmt.Sprintf("%d goroutines, heap %.2f MiB", u.goroutines, float64(u.heap)/(1<<20))
}

func usageNow() procUsage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return procUsage{goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
}

// settle waits up to d for the goroutine count to come down to want's.
func settle(t *testing.T, want procUsage, d time.Duration) procUsage {
	t.Helper()
	deadline := time.Now().Add(d)
	u := usageNow()
	for u.goroutines > want.goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		u = usageNow()
	}
	return u
}
