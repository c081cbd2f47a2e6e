package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/feed"
	"github.com/digestbot/digestbot/internal/testenv"
)

// feedSite serves the feed package's fixtures on loopback, with ETags,
// and a broken feed.
type feedSite struct {
	*httptest.Server
	mu          sync.Mutex
	docs        map[string][]byte
	conditional int
	requests    map[string]int
}

func newFeedSite(t *testing.T) *feedSite {
	s := &feedSite{docs: map[string][]byte{}, requests: map[string]int{}}
	for _, f := range []string{"wordpress.xml", "atom.xml", "jsonfeed.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "feed", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		s.docs["/"+f] = data
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[r.URL.Path]++
		data, ok := s.docs[r.URL.Path]
		if !ok {
			http.Error(w, "the feed is down", http.StatusInternalServerError)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(data))
		if r.Header.Get("If-None-Match") != "" {
			s.conditional++
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *feedSite) config(t *testing.T, dir string) string {
	cfg := filepath.Join(dir, "digestbot.yaml")
	testenv.WriteFile(t, cfg, fmt.Sprintf(`database: %s
corpus:
  feeds:
    - name: coastal
      url: %[2]s/wordpress.xml
    - name: alpine
      url: %[2]s/atom.xml
      every: 5m
    - name: river
      url: %[2]s/jsonfeed.json
    - name: broken
      url: %[2]s/broken.xml
`, filepath.Join(dir, "bot.db"), s.URL))
	return cfg
}

// TestFetch: three real-shaped feeds and a broken one. fetch loads every
// item, names the broken feed and fails after loading the rest; a second
// fetch is conditional and adds nothing; a new item is added once.
func TestFetch(t *testing.T) {
	site := newFeedSite(t)
	dir := t.TempDir()
	cfg := site.config(t, dir)
	out, _, err := run(t, dir, "--config", cfg, "fetch")
	if !errors.Is(err, errFeedsFailed) || exitCode(io.Discard, err) != 1 {
		t.Fatalf("fetch with a broken feed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "broken   error: get "+site.URL+"/broken.xml: HTTP 500") || !strings.Contains(out, "4 feeds: 6 added; 1 failed") {
		t.Errorf("fetch output:\n%s", out)
	}
	for _, title := range []string{"Ferry service to the islands", "Pass reopens to traffic", "New flood gauge goes live"} {
		if !strings.Contains(out, title) {
			t.Errorf("fetch output lacks %q:\n%s", title, out)
		}
	}
	list, _, err := run(t, dir, "--config", cfg, "list")
	if err != nil || !strings.Contains(list, "6 articles") {
		t.Errorf("list after fetch (%v):\n%s", err, list)
	}
	search, _, err := run(t, dir, "--config", cfg, "search", "flood gauge")
	if err != nil || !strings.Contains(search, "New flood gauge goes live") {
		t.Errorf("search after fetch (%v):\n%s", err, search)
	}
	// A digest of feed articles links each title to the item.
	dg, _, err := run(t, dir, "--config", cfg, "digest", "--select", "day", "--date", "2023-07-06")
	if err != nil || !strings.Contains(dg, "New flood gauge goes live\n│ <https://river.example/notes/flood-gauge>\n│ 2023-07-06 · river") {
		t.Errorf("digest of feed articles (%v):\n%s", err, dg)
	}

	out, _, _ = run(t, dir, "--config", cfg, "fetch", "coastal", "alpine", "river")
	if site.conditional != 3 || !strings.Contains(out, "coastal  not modified") || !strings.Contains(out, "3 feeds: no new items") {
		t.Errorf("second fetch (%d conditional requests):\n%s", site.conditional, out)
	}

	site.mu.Lock()
	site.docs["/wordpress.xml"] = []byte(strings.Replace(string(site.docs["/wordpress.xml"]), "<item>",
		"<item><title>Lifeboat crew called out twice</title><link>https://coastal.example/lifeboat</link><guid>lb-1</guid><description>The lifeboat was called out twice on Tuesday.</description></item><item>", 1))
	site.mu.Unlock()
	out, _, err = run(t, dir, "--config", cfg, "fetch", "--json", "coastal")
	if err != nil {
		t.Fatal(err)
	}
	var lines []fetchLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var fl fetchLine
		if err := json.Unmarshal([]byte(l), &fl); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		lines = append(lines, fl)
	}
	if len(lines) != 3 || lines[0].Status != "added" || lines[0].Title != "Lifeboat crew called out twice" || lines[0].URL != "https://coastal.example/lifeboat" ||
		lines[0].Date != "2023-07-04" || lines[1].Status != "unchanged" || lines[2].Status != "unchanged" || lines[0].Feed != "coastal" {
		t.Errorf("fetch --json after a new item:\n%s", out)
	}
	if !strings.HasPrefix(out, `{"feed":"coastal","status":"added","id":"`) || !strings.Contains(strings.Split(out, "\n")[0], `"url":"https://coastal.example/lifeboat","reason":""}`) {
		t.Errorf("fetch --json keys:\n%s", out)
	}
	out, _, err = run(t, dir, "--config", cfg, "fetch", "--json", "broken")
	if want := `{"feed":"broken","status":"error","reason":"get ` + site.URL + `/broken.xml: HTTP 500 Internal Server Error"}` + "\n"; out != want || !errors.Is(err, errFeedsFailed) {
		t.Errorf("fetch --json of a broken feed (%v):\n%s\nwant\n%s", err, out, want)
	}
	out, _, _ = run(t, dir, "--config", cfg, "fetch", "coastal")
	if !strings.Contains(out, "coastal  not modified") {
		t.Errorf("the new item was not settled:\n%s", out)
	}

	if _, _, err := run(t, dir, "--config", cfg, "fetch", "nosuch"); err == nil || !strings.Contains(err.Error(), `no feed named "nosuch"`) {
		t.Errorf("fetch of an unknown feed: %v", err)
	}

	out, _, err = run(t, dir, "--config", cfg, "feeds")
	if err != nil || !strings.Contains(out, "alpine  "+site.URL+"/atom.xml  every 5m") || !strings.Contains(out, "failing     since 2023-07-04 09:00 UTC (2 failed polls in a row); last error: get "+site.URL+"/broken.xml: HTTP 500") ||
		!strings.Contains(out, "last poll   2023-07-04 09:00 UTC: not modified\n  last read   3 items (1 added, 0 updated)") {
		t.Errorf("feeds (%v):\n%s", err, out)
	}
	out, _, err = run(t, dir, "--config", cfg, "feeds", "--json")
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, `"name":"broken"`) || !strings.Contains(out, `"outcome":"error"`) {
		t.Errorf("feeds --json (%v):\n%s", err, out)
	}
}

// TestRunPollsFeeds: digestbot run polls the feeds in the background and
// the articles become searchable.
func TestRunPollsFeeds(t *testing.T) {
	site := newFeedSite(t)
	dir := t.TempDir()
	cfg := site.config(t, dir)
	in, feedIn := io.Pipe()
	logs := &syncBuffer{}
	m := &Main{Stdin: in, Stdout: logs, Stderr: logs, Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"--config", cfg, "run"}) }()
	deadline := time.Now().Add(20 * time.Second)
	for _, line := range []string{`"feed loaded new articles" feed=coastal`, `"feed loaded new articles" feed=alpine`,
		`"feed loaded new articles" feed=river`, `"feed poll failed" feed=broken`} {
		for !strings.Contains(logs.String(), line) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the log of run:\n%s", line, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	fmt.Fprintln(feedIn, "/search query:flood gauge")
	feedIn.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "New flood gauge goes live") {
		t.Errorf("a feed article is not searchable in the bot:\n%s", logs)
	}
}

// TestFeedHealthAndMetrics: a feed failing for more than a day is a
// /healthz warning (the bot stays healthy) and its failures are in the
// metrics.
func TestFeedHealthAndMetrics(t *testing.T) {
	site := newFeedSite(t)
	dir := t.TempDir()
	cfg := site.config(t, dir)
	clock := time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: env(map[string]string{"HOME": dir}),
		Now: func() time.Time { return clock }}
	defer m.Close()
	m.configPath = cfg
	if err := m.loadConfig(); err != nil {
		t.Fatal(err)
	}
	db, err := m.openDB(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	p := m.newPoller(db)
	for range 2 {
		feedPollAll(m, p)
	}
	s := &services{db: db, started: clock}
	sched, err := s.newScheduler(m, m.config)
	if err != nil {
		t.Fatal(err)
	}
	s.sched.Set(sched)
	s.setUpObservability(m, nil)
	check := func() string {
		var b strings.Builder
		for _, r := range s.health.Check(context.Background()) {
			if r.Err != nil {
				fmt.Fprintf(&b, "%s warning=%v: %v\n", r.Name, r.Warning, r.Err)
			}
		}
		return b.String()
	}
	if got := check(); strings.Contains(got, "feeds") {
		t.Errorf("a feed failing for minutes is already a warning: %s", got)
	}
	clock = clock.Add(25 * time.Hour)
	got := check()
	if !strings.Contains(got, "feeds warning=true: feed broken failing for 25h0m0s: get ") || strings.Contains(got, "coastal") {
		t.Errorf("health after a day of failures:\n%s", got)
	}
	var metrics strings.Builder
	s.metrics.WriteTo(&metrics)
	for _, want := range []string{`digestbot_feed_consecutive_failures{feed="broken"} 2`, `digestbot_feed_consecutive_failures{feed="coastal"} 0`,
		`digestbot_feed_last_success_timestamp_seconds{feed="coastal"} 1.6884612e+09`} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics.String())
		}
	}
}

func feedPollAll(m *Main, p *feed.Poller) []feed.Report {
	return feed.PollAll(context.Background(), p, m.config.FeedSources(), 4)
}

// TestRunReloadsFeeds: a reload that adds a feed starts polling it
// without a restart.
func TestRunReloadsFeeds(t *testing.T) {
	site := newFeedSite(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "digestbot.yaml")
	base := fmt.Sprintf("database: %s\nhttp:\n  listen: %s\ncorpus:\n  feeds:\n    - name: coastal\n      url: %s/wordpress.xml\n", filepath.Join(dir, "bot.db"), addr, site.URL)
	testenv.WriteFile(t, cfg, base)
	in, feedIn := io.Pipe()
	defer feedIn.Close()
	logs := &syncBuffer{}
	m := &Main{Stdin: in, Stdout: logs, Stderr: logs, Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"--config", cfg, "run"}) }()
	eventually(t, "the coastal feed polled", func() bool { return strings.Contains(logs.String(), `"feed loaded new articles" feed=coastal`) })
	testenv.WriteFile(t, cfg, base+fmt.Sprintf("    - name: river\n      url: %s/jsonfeed.json\n", site.URL))
	if out, _, err := run(t, dir, "--config", cfg, "reload"); err != nil {
		t.Fatalf("reload: %v %s", err, out)
	}
	eventually(t, "the river feed polled after the reload", func() bool { return strings.Contains(logs.String(), `"feed loaded new articles" feed=river`) })

	// The bot holds the database: fetch and feeds ask it.
	out, _, err := run(t, dir, "--config", cfg, "feeds")
	if err != nil || !strings.Contains(out, "coastal  "+site.URL+"/wordpress.xml  every 15m") || !strings.Contains(out, "river  ") {
		t.Errorf("feeds while the bot runs (%v):\n%s", err, out)
	}
	out, _, err = run(t, dir, "--config", cfg, "fetch", "--json", "river")
	if err != nil || out != "" {
		t.Errorf("fetch --json river while the bot runs (%v): %q, want nothing (not modified)", err, out)
	}
	site.mu.Lock()
	site.docs["/jsonfeed.json"] = []byte(strings.Replace(string(site.docs["/jsonfeed.json"]), `"items": [`, `"items": [{"id":"new-1","title":"Weir repaired","content_text":"The weir was repaired in a week."},`, 1))
	site.mu.Unlock()
	out, _, err = run(t, dir, "--config", cfg, "fetch", "river")
	if err != nil || !strings.Contains(out, "river  added") || !strings.Contains(out, "Weir repaired") || !strings.Contains(out, "1 feeds: 1 added, 2 unchanged") {
		t.Errorf("fetch river while the bot runs (%v):\n%s", err, out)
	}
	site.mu.Lock()
	delete(site.docs, "/jsonfeed.json")
	site.mu.Unlock()
	out, _, err = run(t, dir, "--config", cfg, "fetch", "river")
	if !errors.Is(err, errFeedsFailed) || !strings.Contains(out, "river  error: get ") {
		t.Errorf("fetch of a failing feed while the bot runs (%v):\n%s", err, out)
	}
	feedIn.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	site.mu.Lock()
	defer site.mu.Unlock()
	if n := site.requests["/wordpress.xml"]; n != 1 {
		t.Errorf("coastal fetched %d times; a reload must not poll a feed before it is due", n)
	}
}
