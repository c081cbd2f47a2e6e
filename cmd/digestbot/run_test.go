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
	write(t, cfg, fmt.Sprintf("database: %s\ndiscord:\n  token_env: TEST_BOT_TOKEN\n  guild_ids: [%q]\n  api_url: %s\n",
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
