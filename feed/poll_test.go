package feed

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestFixtures polls each fixture feed and compares every item's status,
// title, date, link and text with testdata/golden/FIXTURE.txt.
func TestFixtures(t *testing.T) {
	srv := newFeedServer(t)
	for _, fixture := range []string{"wordpress.xml", "atom.xml", "jsonfeed.json", "latin1.xml", "latin1-header.xml", "bom.json", "dupguid.xml", "nodates.xml"} {
		t.Run(fixture, func(t *testing.T) {
			p, db, _ := testPoller(t)
			rep := p.Poll(context.Background(), Source{Name: "fx", URL: srv.fixture(t, fixture)})
			if rep.Err != nil {
				t.Fatal(rep.Err)
			}
			var b strings.Builder
			for _, it := range rep.Items {
				fmt.Fprintf(&b, "== %s %s\ntitle: %s\ndate:  %s (%s, %s)\nurl:   %s\n", it.Status, it.Reason, it.Title, it.Date, it.Date.Precision, it.Date.From, strings.Replace(it.URL, srv.URL, "http://SERVER", 1))
				if it.ID != "" {
					a, err := db.Article(context.Background(), it.ID)
					if err != nil {
						t.Fatal(err)
					}
					if a.Source != "fx" {
						t.Errorf("%s: source %q, want the feed's name", it.ID, a.Source)
					}
					fmt.Fprintf(&b, "words: %d\n%s\n", a.Words, a.Body)
				}
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(fixture, filepath.Ext(fixture))+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./feed -run TestFixtures -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("items differ from %s (-update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestPollAgain: a second poll is conditional and adds nothing; a new item
// is added once; an edited item is updated; the rest stay unchanged.
func TestPollAgain(t *testing.T) {
	srv := newFeedServer(t)
	p, db, clock := testPoller(t)
	ctx := context.Background()
	src := Source{Name: "coastal", URL: srv.fixture(t, "wordpress.xml")}
	rep := p.Poll(ctx, src)
	if rep.Err != nil || rep.Count(Added) != 2 {
		t.Fatalf("first poll: %+v", rep)
	}
	clock.add(15 * time.Minute)
	rep = p.Poll(ctx, src)
	if rep.Err != nil || !rep.NotModified || len(rep.Items) != 0 {
		t.Fatalf("second poll: %+v, want not modified", rep)
	}
	if srv.conditional != 1 || srv.notModified != 1 {
		t.Errorf("conditional requests %d, 304s %d; want 1 and 1", srv.conditional, srv.notModified)
	}
	if rep.State.Outcome != OutcomeNotModified || !rep.State.NextPoll.Equal(clock.Now().Add(DefaultEvery)) {
		t.Errorf("state after 304: %+v", rep.State)
	}

	data, _ := os.ReadFile("testdata/wordpress.xml")
	doc := strings.Replace(string(data), "Residents who spoke at the meeting were split.", "Residents who spoke at the meeting were split; a petition follows.", 1)
	doc = strings.Replace(doc, "<item>", `<item><title>Lifeboat crew called out twice</title><link>https://coastal.example/lifeboat</link><guid>https://coastal.example/?p=1050</guid><pubDate>Wed, 05 Jul 2023 07:00:00 +0000</pubDate><description>&lt;p&gt;The lifeboat was called out twice on Tuesday.&lt;/p&gt;</description></item><item>`, 1)
	srv.set("wordpress.xml", []byte(doc))
	before := countArticles(t, db)
	rep = p.Poll(ctx, src)
	got := map[string]int{Added: rep.Count(Added), Updated: rep.Count(Updated), Unchanged: rep.Count(Unchanged)}
	if rep.Err != nil || got[Added] != 1 || got[Updated] != 1 || got[Unchanged] != 1 {
		t.Fatalf("poll after edits: %v, %+v", got, rep)
	}
	if n := countArticles(t, db); n != before+1 {
		t.Errorf("articles %d, want %d (one added, one replaced)", n, before+1)
	}
	rep = p.Poll(ctx, src)
	if rep.Err != nil || !rep.NotModified {
		t.Errorf("poll after that: %+v, want not modified", rep)
	}
	for ua := range srv.agents {
		if !strings.HasPrefix(ua, "digestbot/") {
			t.Errorf("User-Agent %q does not name digestbot", ua)
		}
	}
}

// TestBadFetchesChangeNothing: every kind of broken answer fails the poll
// with a clear error, keeps what is stored and backs the feed off.
func TestBadFetchesChangeNothing(t *testing.T) {
	srv := newFeedServer(t)
	gzipBomb() // compressed once, before the clock of any request runs
	cases := []struct {
		path      string
		want      string // in the error
		minWait   time.Duration
		isTimeout bool
	}{
		{"/status/500", "HTTP 500", 0, false},
		{"/status/404", "HTTP 404", 0, false},
		{"/status/429", "retry after 2m0s", 2 * time.Minute, false},
		{"/status/503", "HTTP 503", 2 * time.Minute, false},
		{"/loop", "too many redirects", 0, false},
		{"/to-file", "non-http(s)", 0, false},
		{"/endless", "response too large", 0, false},
		{"/bomb", "decompressed body over", 0, false},
		{"/slow", "timed out", 0, true},
		{"/empty", "empty response", 0, false},
		{"/page/not-a-feed", "not an RSS, Atom or JSON feed", 0, false},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			p, db, clock := testPoller(t)
			p.Fetcher = NewFetcher(FetchOptions{UserAgent: "digestbot/test", HostGap: -1, Timeout: time.Second, MaxBytes: 1 << 20, MaxDecodedBytes: 4 << 20})
			ctx := context.Background()
			good := Source{Name: "broken", URL: srv.fixture(t, "wordpress.xml")}
			if rep := p.Poll(ctx, good); rep.Err != nil {
				t.Fatal(rep.Err)
			}
			n := countArticles(t, db)
			src := Source{Name: "broken", URL: srv.URL + c.path, Every: 10 * time.Minute}
			var waits []time.Duration
			for range 3 {
				rep := p.Poll(ctx, src)
				if rep.Err == nil || !strings.Contains(rep.Err.Error(), c.want) {
					t.Fatalf("error %v, want one saying %q", rep.Err, c.want)
				}
				if len(rep.Items) != 0 || rep.State.Outcome != OutcomeError || rep.State.LastError != rep.Err.Error() {
					t.Fatalf("report %+v", rep)
				}
				waits = append(waits, rep.State.NextPoll.Sub(clock.Now()))
				clock.add(time.Minute)
			}
			if countArticles(t, db) != n {
				t.Errorf("articles changed by a failed poll")
			}
			if waits[0] < max(10*time.Minute, c.minWait) || waits[1] != 2*waits[0] && waits[1] != MaxBackoff || waits[2] != 2*waits[1] && waits[2] != MaxBackoff {
				t.Errorf("back-off %v, want doubling from max(every, Retry-After)", waits)
			}
			st, _ := LoadState(ctx, db, "broken")
			if st.Failures != 3 || st.FailingFor(clock.Now()) != 3*time.Minute {
				t.Errorf("stored state %+v", st)
			}
		})
	}
}

func TestBackoffCapsAtADay(t *testing.T) {
	var s State
	now := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	for range 20 {
		s.failed(now, 15*time.Minute, errors.New("down"), 0)
	}
	if got := s.NextPoll.Sub(now); got != MaxBackoff {
		t.Errorf("back-off after 20 failures %s, want %s", got, MaxBackoff)
	}
	s.succeeded(now, 15*time.Minute, OutcomeOK)
	if s.Failures != 0 || s.LastError != "" || s.NextPoll.Sub(now) != 15*time.Minute {
		t.Errorf("after success %+v", s)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2023, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {"-5", 0}, {"soon", 0},
		{"Sat, 01 Jul 2023 12:10:00 GMT", 10 * time.Minute},
		{"Sat, 01 Jul 2023 11:00:00 GMT", 0},
		{"99999999", MaxBackoff},
	} {
		if got := retryAfter(c.in, now); got != c.want {
			t.Errorf("retryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestFullTextRefusesPrivateLinks: a feed item linking to a loopback
// address is not fetched unless the feed allows private links.
func TestFullTextRefusesPrivateLinks(t *testing.T) {
	srv := newFeedServer(t)
	doc := fmt.Sprintf(`<rss version="2.0"><channel><title>t</title><link>%[1]s/</link><description>d</description>
<item><title>Harbour story</title><link>%[1]s/page/harbour</link><guid>h1</guid><description>Short summary.</description></item>
<item><title>Named host</title><link>%[2]s/page/named</link><guid>h2</guid><description>A name that resolves to loopback.</description></item>
<item><link>%[1]s/page/linkonly</link></item>
</channel></rss>`, srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	srv.set("private.xml", []byte(doc))
	src := Source{Name: "private", URL: srv.URL + "/f/private.xml", FullText: true}
	p, db, _ := testPoller(t)
	rep := p.Poll(context.Background(), src)
	if rep.Err != nil || len(rep.Items) != 3 {
		t.Fatalf("poll: %+v", rep)
	}
	for _, it := range rep.Items {
		if it.Status != Skipped || !strings.Contains(it.Reason, "refused to connect to a private address") {
			t.Errorf("item %+v, want skipped for its private address", it)
		}
	}
	if srv.count("/page/harbour") != 0 || srv.count("/page/named") != 0 || countArticles(t, db) != 0 {
		t.Errorf("the private page was fetched or something stored")
	}
	// The refusal is permanent: the feed's validators are kept.
	if rep.State.ETag == "" {
		t.Errorf("validators dropped after a permanent refusal")
	}

	src.AllowPrivateLinks = true
	p2, db2, _ := testPoller(t)
	rep = p2.Poll(context.Background(), src)
	if rep.Err != nil || len(rep.Items) != 3 || rep.Items[0].Status != Added || rep.Items[1].Status != Added || rep.Items[2].Status != Added {
		t.Fatalf("with allow_private_links: %+v", rep)
	}
	// A bare link takes its title from its page.
	if it := rep.Items[2]; it.Title != "The full story of linkonly" {
		t.Errorf("bare link's title %q", it.Title)
	}
	a, err := db2.Article(context.Background(), rep.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Harbour story" || !strings.Contains(a.Body, "whole article about harbour") || strings.Contains(a.Body, "Short summary") ||
		strings.Contains(a.Body, "Copyright") || strings.Contains(a.Body, "Home") || a.URL != srv.URL+"/page/harbour" {
		t.Errorf("full-text article %q <%s>: %q", a.Title, a.URL, a.Body)
	}
}

func TestPublicAddr(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"93.184.216.34", true}, {"2606:4700::1111", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"fe80::1", false}, {"fc00::1", false},
		{"224.0.0.1", false}, {"ff02::1", false}, {"0.0.0.0", false}, {"::", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"100.64.0.1", false}, {"255.255.255.255", false},
	} {
		if err := refusePrivate("tcp", hostPort(c.ip), nil); (err == nil) != c.want {
			t.Errorf("%s: refused=%v, want public=%v", c.ip, err != nil, c.want)
		}
	}
}

func hostPort(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:443"
	}
	return ip + ":443"
}

// TestOneRequestPerHost: polls of feeds on one host never overlap.
func TestOneRequestPerHost(t *testing.T) {
	srv := newFeedServer(t)
	p, _, _ := testPoller(t)
	p.Fetcher = NewFetcher(FetchOptions{UserAgent: "digestbot/test", HostGap: 20 * time.Millisecond})
	url := srv.fixture(t, "wordpress.xml")
	var sources []Source
	for i := range 6 {
		sources = append(sources, Source{Name: fmt.Sprintf("f%d", i), URL: url})
	}
	ctx, cancel := context.WithCancel(context.Background())
	polls := make(chan Report, 6)
	s := &Scheduler{Poller: p, Sources: sources, Workers: 6, OnPoll: func(r Report) { polls <- r }}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	start := time.Now()
	for range 6 {
		if r := <-polls; r.Err != nil {
			t.Error(r.Err)
		}
	}
	took := time.Since(start)
	cancel()
	<-done
	if m := srv.maxInflight.Load(); m != 1 {
		t.Errorf("%d requests at once to one host, want 1", m)
	}
	if took < 5*20*time.Millisecond {
		t.Errorf("six polls of one host took %s: no pause between them", took)
	}
}

// TestEmptyFeedDeletesNothing: a feed that drops its items, or all of
// them, removes nothing stored; the items coming back are unchanged.
func TestEmptyFeedDeletesNothing(t *testing.T) {
	srv := newFeedServer(t)
	p, db, _ := testPoller(t)
	ctx := context.Background()
	src := Source{Name: "coastal", URL: srv.fixture(t, "wordpress.xml")}
	if rep := p.Poll(ctx, src); rep.Count(Added) != 2 {
		t.Fatalf("first poll %+v", rep)
	}
	full := mustRead(t, "testdata/wordpress.xml")
	srv.set("wordpress.xml", []byte(`<rss version="2.0"><channel><title>Coastal Gazette</title><link>https://coastal.example</link><description>d</description></channel></rss>`))
	if rep := p.Poll(ctx, src); rep.Err != nil || len(rep.Items) != 0 || rep.State.Items != 0 {
		t.Fatalf("empty feed: %+v", rep)
	}
	if n := countArticles(t, db); n != 2 {
		t.Errorf("%d articles after an empty feed, want 2", n)
	}
	srv.set("wordpress.xml", full)
	if rep := p.Poll(ctx, src); rep.Count(Unchanged) != 2 {
		t.Errorf("items back: %+v", rep)
	}
}

// TestFullTextFailures: a page that is gone skips its item for good (the
// feed's validators are kept); a page that failed for a passing reason is
// tried again on the next poll (the validators are dropped, so that poll
// is not a 304).
func TestFullTextFailures(t *testing.T) {
	srv := newFeedServer(t)
	for _, c := range []struct {
		page      string
		reason    string
		validated bool
	}{
		{"/status/404", "full text: get " + srv.URL + "/status/404: HTTP 404 Not Found", true},
		{"/status/500", "full text: get " + srv.URL + "/status/500: HTTP 500 Internal Server Error", false},
		{"/f/wordpress.xml", "full text: not an HTML page (application/rss+xml)", true},
	} {
		srv.fixture(t, "wordpress.xml")
		srv.set("one.xml", []byte(fmt.Sprintf(`<rss version="2.0"><channel><title>t</title><link>%[1]s/</link><description>d</description>
<item><title>Story</title><link>%[1]s%[2]s</link><guid>s1</guid><description>Summary.</description></item></channel></rss>`, srv.URL, c.page)))
		p, db, _ := testPoller(t)
		src := Source{Name: "one", URL: srv.URL + "/f/one.xml", FullText: true, AllowPrivateLinks: true}
		rep := p.Poll(context.Background(), src)
		if rep.Err != nil || len(rep.Items) != 1 || rep.Items[0].Status != Skipped || rep.Items[0].Reason != c.reason {
			t.Errorf("%s: %+v", c.page, rep)
			continue
		}
		if got := rep.State.ETag != ""; got != c.validated || countArticles(t, db) != 0 {
			t.Errorf("%s: validators kept %v, want %v", c.page, got, c.validated)
		}
		rep = p.Poll(context.Background(), src)
		if rep.NotModified != c.validated {
			t.Errorf("%s: second poll not modified %v, want %v", c.page, rep.NotModified, c.validated)
		}
	}
}

// failingStore fails PutFeedItems while fail is set.
type failingStore struct {
	*store.DB
	fail bool
}

func (s *failingStore) PutFeedItems(ctx context.Context, name string, files []store.File, state func([]store.Outcome) ([]byte, error)) ([]store.Outcome, error) {
	if s.fail && len(files) > 0 {
		return nil, errors.New("disk full")
	}
	return s.DB.PutFeedItems(ctx, name, files, state)
}

// TestStoreFailureIsRetried: items that could not be stored are not
// hidden behind a 304 on the next poll.
func TestStoreFailureIsRetried(t *testing.T) {
	srv := newFeedServer(t)
	p, db, _ := testPoller(t)
	fs := &failingStore{DB: db, fail: true}
	p.Store = fs
	src := Source{Name: "coastal", URL: srv.fixture(t, "wordpress.xml")}
	rep := p.Poll(context.Background(), src)
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "disk full") || rep.State.ETag != "" || rep.State.Failures != 1 {
		t.Fatalf("poll with a failing store: %+v", rep)
	}
	fs.fail = false
	rep = p.Poll(context.Background(), src)
	if rep.Err != nil || rep.NotModified || rep.Count(Added) != 2 {
		t.Errorf("poll after the store recovered: %+v", rep)
	}
}

// TestRestampedItemIsNotRefetched: a feed that stamps its items with a
// new updated time on every request does not make them edits, nor their
// pages fetched again.
func TestRestampedItemIsNotRefetched(t *testing.T) {
	srv := newFeedServer(t)
	p, _, _ := testPoller(t)
	src := Source{Name: "stamped", URL: srv.URL + "/f/stamped.xml", FullText: true, AllowPrivateLinks: true}
	for i, stamp := range []string{"2023-07-05T10:00:00Z", "2023-07-05T10:15:00Z"} {
		srv.set("stamped.xml", []byte(fmt.Sprintf(`<feed xmlns="http://www.w3.org/2005/Atom"><title>s</title><id>s</id><updated>%[2]s</updated>
<entry><title>Stamped</title><id>e1</id><link href="%[1]s/page/stamped"/><updated>%[2]s</updated><summary>Short.</summary></entry></feed>`, srv.URL, stamp)))
		rep := p.Poll(context.Background(), src)
		want := []string{Added, Unchanged}[i]
		if rep.Err != nil || len(rep.Items) != 1 || rep.Items[0].Status != want {
			t.Fatalf("poll %d: %+v, want %s", i+1, rep, want)
		}
	}
	if n := srv.count("/page/stamped"); n != 1 {
		t.Errorf("page fetched %d times, want once", n)
	}
}

// TestFirstSeenDateIsKept: an undated item is dated the day it was first
// seen, and keeps that date when it is edited later.
func TestFirstSeenDateIsKept(t *testing.T) {
	srv := newFeedServer(t)
	p, db, clock := testPoller(t)
	src := Source{Name: "undated", URL: srv.fixture(t, "nodates.xml")}
	if rep := p.Poll(context.Background(), src); rep.Count(Added) != 2 || rep.Items[0].Date.String() != "2023-07-10" {
		t.Fatalf("first poll %+v", rep)
	}
	clock.add(72 * time.Hour)
	srv.set("nodates.xml", []byte(strings.Replace(string(mustRead(t, "testdata/nodates.xml")), "no longer carry water", "no longer carry buckets of water", 1)))
	rep := p.Poll(context.Background(), src)
	if rep.Count(Updated) != 1 || rep.Count(Unchanged) != 1 {
		t.Fatalf("poll after the edit %+v", rep)
	}
	a, err := db.Article(context.Background(), rep.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Date.String() != "2023-07-10" || a.Date.From.String() != "first-seen" || !strings.Contains(a.Body, "buckets") {
		t.Errorf("edited undated item: %s (%s) %q", a.Date, a.Date.From, a.Body)
	}
}
