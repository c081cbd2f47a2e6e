package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for the bot's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunOnDiscord runs digestbot's real startup path against the fake
// Discord: config, token from the environment, gateway, command
// registration, an answered command, and a graceful stop.
func TestRunOnDiscord(t *testing.T) {
	fake := fakediscord.StartT(t, fakediscord.Options{Token: "s3cret"})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "digestbot.yaml")
	testenv.WriteFile(t, cfg, fmt.Sprintf("database: %s\ndiscord:\n  token_env: TEST_BOT_TOKEN\n  guild_ids: [%q]\n  api_url: %s\n",
		filepath.Join(dir, "bot.db"), fakediscord.DefaultGuildID, fake.URL()))

	logs := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs,
		Getenv: env(map[string]string{"HOME": dir, "TEST_BOT_TOKEN": "s3cret"}), Now: time.Now}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"--config", cfg}) }()
	defer stop()

	wait, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := fake.WaitCommands(wait, fakediscord.DefaultGuildID, 6); err != nil {
		t.Fatalf("commands not registered in the guild: %v\nlogs:\n%s", err, logs)
	}
	cb, err := fake.Exchange(wait, fakediscord.SlashCommand("date", fakediscord.Str("when", "2023-07")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Data.Embeds) != 1 || !strings.Contains(cb.Data.Embeds[0].Fields[0].Name, "Mohe City") {
		t.Fatalf("/date 2023-07 answered %+v", cb.Data)
	}
	// /search ranks with the real index: the Mohe article first.
	cb, err = fake.Exchange(wait, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Data.Embeds) != 1 || !strings.Contains(cb.Data.Embeds[0].Fields[0].Name, "Mohe City") || !strings.Contains(cb.Data.Embeds[0].Fields[0].Value, "**police**") {
		t.Fatalf("/search border police answered %+v", cb.Data)
	}
	// Pressing its menu opens the article, with its summary.
	open, err := fake.Exchange(wait, fakediscord.Select("open|0", "ad0293d1ae8f"))
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Data.Embeds) != 1 || !strings.Contains(open.Data.Embeds[0].Description, "**Summary.**") {
		t.Fatalf("opened article: %+v", open.Data)
	}
	// /article by ID prefix.
	cb, err = fake.Exchange(wait, fakediscord.SlashCommand("article", fakediscord.Str("id", "089f")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Data.Embeds) != 1 || cb.Data.Embeds[0].Title != "We fought for more than 30 hours in a fierce battle." {
		t.Fatalf("/article 089f answered %+v", cb.Data)
	}

	stop() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not stopped within 10 s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, "bot.db")); err != nil {
		t.Fatal(err)
	}
}

// TestScheduledDigestPostsOnceAcrossRestart runs the bot twice on one
// database: the first run arms the schedule just before its slot and posts
// the digest when it comes, through a 429; the second, a restart after the
// slot, posts nothing again.
func TestScheduledDigestPostsOnceAcrossRestart(t *testing.T) {
	fake := fakediscord.StartT(t, fakediscord.Options{})
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
`, filepath.Join(dir, "bot.db"), fake.URL(), fakediscord.DefaultChannelID))
	// The clock starts at 2024-07-03 07:59:59.3 in Berlin and runs at the
	// real pace: the morning digest falls due 0.7 s into the first run.
	base, start := time.Date(2024, 7, 3, 5, 59, 59, 300_000_000, time.UTC), time.Now()
	clock := func() time.Time { return base.Add(time.Since(start)) }
	fake.RateLimitNext("POST /channels/*/messages", 1, 100*time.Millisecond, false)

	runOnce := func() {
		t.Helper()
		logs := &syncBuffer{}
		m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs,
			Getenv: env(map[string]string{"HOME": dir, "TEST_BOT_TOKEN": "tok"}), Now: clock}
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx, []string{"--config", cfg}) }()
		wait, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := fake.WaitMessages(wait, fakediscord.DefaultChannelID, 1); err != nil {
			t.Fatalf("no digest posted: %v\nlogs:\n%s", err, logs)
		}
		// Give the scheduler time to record the post, or on the restart to
		// post a repeat if it were going to.
		for !strings.Contains(logs.String(), "running on Discord") {
			select {
			case <-wait.Done():
				t.Fatalf("the bot never started:\n%s", logs)
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(time.Second)
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v\nlogs:\n%s", err, logs)
		}
	}
	runOnce()
	runOnce()
	var posts []fakediscord.Message
	for _, msg := range fake.Messages(fakediscord.DefaultChannelID) {
		if msg.Kind == fakediscord.KindChannelMessage {
			posts = append(posts, msg)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("%d digest posts across two runs, want exactly 1", len(posts))
	}
	// Not even a repeat that the nonce would have absorbed: one 429 and
	// one successful request, both from the first run.
	if reqs := fake.RequestsTo("POST /channels/*/messages"); len(reqs) != 2 {
		t.Errorf("%d message requests, want 2 (a 429 and the post)", len(reqs))
	}
	if !strings.Contains(posts[0].Content, "On this day") || len(posts[0].Embeds) != 1 || !strings.HasPrefix(posts[0].Embeds[0].Title, "Mohe City") {
		t.Errorf("posted digest: %+v", posts[0].Payload)
	}
	if posts[0].Nonce == "" {
		t.Error("digest posted without a nonce")
	}
}
