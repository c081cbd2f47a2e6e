package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// eventually retries check until it passes or 10 s have gone.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHealthMetricsAndReload runs the console bot with an HTTP server:
// /healthz and /metrics answer, and a reload takes a new digest without a
// restart but refuses an invalid file.
func TestHealthMetricsAndReload(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "digestbot.yaml")
	base := fmt.Sprintf("database: %s\nhttp:\n  listen: %s\ndigests:\n  - name: morning\n    channel: \"123456\"\n    schedule: \"0 8 * * *\"\n",
		filepath.Join(dir, "bot.db"), addr)
	testenv.WriteFile(t, cfg, base)

	in, feed := io.Pipe()
	logs := &syncBuffer{}
	m := &Main{Stdin: in, Stdout: logs, Stderr: logs, Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"--config", cfg, "run"}) }()

	url := "http://" + addr
	eventually(t, "the http server", func() bool {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	code, body := get(t, url+"/healthz")
	if code != http.StatusOK || !strings.Contains(body, "ok   store") || !strings.Contains(body, "ok   scheduler") || !strings.Contains(body, "ok   digests") {
		t.Fatalf("healthz: %d %q", code, body)
	}

	fmt.Fprintln(feed, "/help")
	eventually(t, "the help command counted", func() bool {
		_, body := get(t, url+"/metrics")
		return strings.Contains(body, `digestbot_commands_total{command="help",outcome="ok"} 1`)
	})
	_, metrics := get(t, url+"/metrics")
	for _, want := range []string{"digestbot_articles 5", `digestbot_digest_next_run_timestamp_seconds{digest="morning"}`, `digestbot_command_duration_seconds_bucket{command="help",le="+Inf"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	// The background worker summarised the 5 stored articles (one set of
	// options: the digest's are the defaults).
	eventually(t, "the summaries made ahead", func() bool {
		_, body := get(t, url+"/metrics")
		return strings.Contains(body, "digestbot_summaries_made_ahead 5\n") && strings.Contains(body, "digestbot_summaries_pending 0\n") &&
			!strings.Contains(body, "digestbot_summaries_last_round_timestamp_seconds 0\n")
	})

	// A second digest, added while the bot runs.
	testenv.WriteFile(t, cfg, base+"  - name: evening\n    channel: \"123456\"\n    schedule: \"0 20 * * *\"\n")
	out, _, err := run(t, dir, "--config", cfg, "reload")
	if err != nil || !strings.Contains(out, "reload requested") {
		t.Fatalf("digestbot reload: %v %q", err, out)
	}
	eventually(t, "the evening digest scheduled", func() bool {
		_, body := get(t, url+"/metrics")
		return strings.Contains(body, `digestbot_digest_next_run_timestamp_seconds{digest="evening"}`)
	})

	// An invalid file: digestbot reload says so at once, and the bot,
	// asked directly (as SIGHUP would), refuses it and keeps its schedules.
	testenv.WriteFile(t, cfg, base+"  - name: broken\n    schedule: \"99 99 * * *\"\n")
	if _, _, err := run(t, dir, "--config", cfg, "reload"); err == nil || !strings.Contains(err.Error(), "digests[1].schedule") {
		t.Fatalf("reload of an invalid file: %v", err)
	}
	token, err := readAdminToken(filepath.Join(dir, "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/-/reload", nil)
	req.Header.Set(adminHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, "the refusal logged", func() bool { return strings.Contains(logs.String(), "reload refused") })
	if code, body := get(t, url+"/healthz"); code != http.StatusOK {
		t.Errorf("after a refused reload: %d %q", code, body)
	}
	if _, body := get(t, url+"/metrics"); !strings.Contains(body, `digest="evening"`) {
		t.Error("a refused reload dropped the running schedules")
	}

	// A backup while the bot holds the database: the running bot writes it.
	testenv.WriteFile(t, cfg, base)
	dst := filepath.Join(dir, "backup.db")
	out, _, err = run(t, dir, "--config", cfg, "backup", dst)
	if err != nil || !strings.Contains(out, "wrote "+dst) {
		t.Fatalf("backup while running: %v %q", err, out)
	}
	cp, err := store.Open(dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := cp.Count(context.Background()); n != 5 {
		t.Errorf("backup holds %d articles, want 5", n)
	}
	cp.Close()

	feed.Close() // end of input: the console bot exits
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end at end of input")
	}
}
