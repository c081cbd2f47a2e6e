package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

func TestAdminRefusal(t *testing.T) {
	const token = "s3cret"
	for _, c := range []struct {
		name    string
		remote  string
		host    string
		headers map[string]string
		refused string // "" when allowed
	}{
		{"digestbot's own command", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{adminHeader: token}, ""},
		{"localhost, IPv6", "[::1]:5000", "localhost:8080", map[string]string{adminHeader: token}, ""},
		{"another machine", "192.0.2.7:5000", "127.0.0.1:8080", map[string]string{adminHeader: token}, "this machine only"},
		{"DNS rebinding", "127.0.0.1:5000", "evil.example:8080", map[string]string{adminHeader: token, "Origin": "http://evil.example:8080", "Sec-Fetch-Site": "same-origin"}, "loopback address"},
		{"a web page's simple POST", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, "cross-site"},
		{"cross-origin, old browser", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example", adminHeader: token}, "cross-origin"},
		{"another loopback port", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site", adminHeader: token}, "cross-site"},
		{"no header (curl -X POST)", "127.0.0.1:5000", "127.0.0.1:8080", nil, adminHeader},
		{"guessed token (another local user)", "127.0.0.1:5000", "127.0.0.1:8080", map[string]string{adminHeader: "1"}, "wrong admin token"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/-/backup", nil)
		r.RemoteAddr, r.Host = c.remote, c.host
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		got := adminRefusal(r, token)
		if (got == "") != (c.refused == "") || !strings.Contains(got, c.refused) {
			t.Errorf("%s: refusal %q, want %q", c.name, got, c.refused)
		}
	}
}

// startBot runs the console bot with an HTTP server on a free loopback
// port until the test ends. It returns the server's URL and the config.
func startBot(t *testing.T, dir string) (url, cfg string) {
	t.Helper()
	addr := freeAddr(t)
	cfg = filepath.Join(dir, "digestbot.yaml")
	testenv.WriteFile(t, cfg, fmt.Sprintf("database: %s\nhttp:\n  listen: %s\n", filepath.Join(dir, "bot.db"), addr))
	in, feed := io.Pipe()
	logs := &syncBuffer{}
	m := &Main{Stdin: in, Stdout: logs, Stderr: logs, Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"--config", cfg, "run"}) }()
	t.Cleanup(func() {
		feed.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the bot did not stop")
		}
	})
	url = "http://" + addr
	eventually(t, "the http server", func() bool {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return url, cfg
}

// The attacks on the admin endpoints of a running bot: each is refused
// or harmless, no file is written, the live database stays whole, and
// digestbot backup keeps working.
func TestAdminEndpointsUnderAttack(t *testing.T) {
	dir := t.TempDir()
	url, cfg := startBot(t, dir)
	// The bot's own writes are not the attacks': let the background
	// summaries of the sample articles be made first.
	eventually(t, "the first round of background summaries", func() bool {
		_, body := get(t, url+"/metrics")
		return strings.Contains(body, "digestbot_summaries_last_round_timestamp_seconds ") &&
			!strings.Contains(body, "digestbot_summaries_last_round_timestamp_seconds 0\n")
	})
	live := filepath.Join(dir, "bot.db")
	victim := filepath.Join(dir, "bashrc")
	testenv.WriteFile(t, victim, "alias ls='ls --color'\n")
	post := func(path string, headers map[string]string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader("x"))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	// 1. A web page's simple cross-origin POST naming a file to overwrite.
	code, _ := post("/-/backup?path="+victim, map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
	if code != http.StatusForbidden {
		t.Errorf("cross-site backup: %d, want 403", code)
	}
	// 2. The same from curl, without the admin header, at the live database.
	if code, _ := post("/-/backup?path="+live, nil); code != http.StatusForbidden {
		t.Errorf("backup without the admin header: %d, want 403", code)
	}
	// 3. With the token: the path is ignored and the copy comes back as
	// the body; nothing is written on the bot's side.
	token, err := readAdminToken(live)
	if err != nil {
		t.Fatal(err)
	}
	code, body := post("/-/backup?path="+victim, map[string]string{adminHeader: token})
	if code != http.StatusOK || len(body) < 4096 {
		t.Errorf("backup with the token: %d, %d bytes", code, len(body))
	}
	if got, _ := os.ReadFile(victim); string(got) != "alias ls='ls --color'\n" {
		t.Errorf("the victim file was overwritten: %q", got)
	}
	// 4. The token file is the bot user's alone.
	if info, err := os.Stat(adminTokenPath(live)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("admin token file: %v, %v; want mode 0600", info.Mode(), err)
	}
	// 5. digestbot backup at the live database (by name, and by a link
	// to it) is refused; the bot's database is untouched.
	before, _ := os.ReadFile(live)
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(live, link); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{live, link, filepath.Join(dir, ".", "bot.db")} {
		_, _, err := run(t, dir, "--config", cfg, "backup", target)
		if err == nil || !strings.Contains(err.Error(), "the database file itself") {
			t.Errorf("backup over the live database as %s: %v", target, err)
		}
	}
	// 6. Nor inside the search index the bot holds open.
	if _, _, err := run(t, dir, "--config", cfg, "backup", filepath.Join(live+".index", "store", "x")); err == nil || !strings.Contains(err.Error(), "inside the search index") {
		t.Errorf("backup into the search index: %v", err)
	}
	if after, _ := os.ReadFile(live); !bytes.Equal(before, after) {
		t.Error("the live database changed on disk")
	}
	// 7. digestbot backup FILE works while the bot runs, and the copy is
	// a sound database.
	dst := filepath.Join(dir, "backup.db")
	out, _, err := run(t, dir, "--config", cfg, "backup", dst)
	if err != nil || !strings.Contains(out, "wrote "+dst) {
		t.Fatalf("backup while running: %v %q", err, out)
	}
	cp, err := store.Open(dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if n, _ := cp.Count(context.Background()); n != 5 {
		t.Errorf("the backup holds %d articles, want 5", n)
	}
	if _, body := get(t, url+"/healthz"); !strings.Contains(body, "ok   store") {
		t.Errorf("the bot is unwell after the attacks: %q", body)
	}
}

// digestbot backup with no bot running: never over the database itself,
// and no new empty database made to back up.
func TestBackupCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "d.db")
	if _, _, err := run(t, dir, "--db", db, "backup", filepath.Join(dir, "b.db")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("backup of a missing database: %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("backup created the database it was to copy")
	}
	if _, _, err := run(t, dir, "--db", db, "list"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(db)
	for _, target := range []string{db, filepath.Join(dir, "..", filepath.Base(dir), "d.db")} {
		if _, _, err := run(t, dir, "--db", db, "backup", target); err == nil || !strings.Contains(err.Error(), "the database file itself") {
			t.Errorf("backup over the database as %s: %v", target, err)
		}
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("the database changed")
	}
}
