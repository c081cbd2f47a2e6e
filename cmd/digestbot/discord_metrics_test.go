package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/digestbot/digestbot/internal/testenv"
)

// TestDiscordInvalidRequestsInMetrics: 401, 403 and 429 answers from
// Discord count toward its ban threshold (10,000 in 10 minutes,
// topics/rate-limits#invalid-request-limit-aka-cloudflare-bans); /metrics
// shows how many the bot got, and 429s of scope "shared" are not counted.
func TestDiscordInvalidRequestsInMetrics(t *testing.T) {
	fake := fakediscord.StartT(t, fakediscord.Options{})
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "digestbot.yaml")
	testenv.WriteFile(t, cfg, fmt.Sprintf("database: %s\nhttp:\n  listen: %s\ndiscord:\n  token_env: TEST_BOT_TOKEN\n  api_url: %s\n",
		filepath.Join(dir, "bot.db"), addr, fake.URL()))
	// Registering the commands at start meets a 429 of each kind.
	fake.AddFault(fakediscord.Fault{Route: "PUT /applications/**", Status: 429, Times: 1, RetryAfter: 20 * time.Millisecond})
	fake.AddFault(fakediscord.Fault{Route: "PUT /applications/**", Status: 429, Scope: "shared", Times: 1, RetryAfter: 20 * time.Millisecond})

	logs := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs,
		Getenv: env(map[string]string{"HOME": dir, "TEST_BOT_TOKEN": "tok"}), Now: time.Now}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"--config", cfg}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v\n%s", err, logs)
		}
	}()
	if _, err := fake.WaitCommands(ctx, "", 6); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr + "/metrics"
	eventually(t, "the http server", func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	eventually(t, "the invalid request in /metrics", func() bool {
		_, body := get(t, url)
		return strings.Contains(body, `digestbot_discord_invalid_requests_total{status="429"} 1`)
	})
	_, body := get(t, url)
	if !strings.Contains(body, "digestbot_discord_invalid_requests_10m 1") {
		t.Errorf("/metrics lacks the 10-minute count of 1:\n%s", body)
	}
}
