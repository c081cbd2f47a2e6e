package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

// feedServer is a loopback server that answers like real publishers and
// like broken ones. Paths:
//
//	/f/NAME        the document set with set(NAME), with ETag and
//	               Last-Modified, answering 304 to a matching conditional
//	/status/CODE   that status (429 and 503 with Retry-After: 120)
//	/loop          a redirect to itself
//	/endless       a body that never ends
//	/bomb          a small gzip body that inflates to 64 MiB
//	/slow          headers after two seconds
//	/empty         200 with no body
//	/page/NAME     an HTML article page
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	docs        map[string][]byte
	requests    map[string]int
	conditional int // requests that carried If-None-Match or If-Modified-Since
	notModified int
	agents      map[string]bool
	inflight    atomic.Int32
	maxInflight atomic.Int32
}

func newFeedServer(t testing.TB) *feedServer {
	t.Helper()
	s := &feedServer{docs: map[string][]byte{}, requests: map[string]int{}, agents: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// set serves data at /f/name.
func (s *feedServer) set(name string, data []byte) {
	s.mu.Lock()
	s.docs[name] = data
	s.mu.Unlock()
}

// fixture serves testdata/file at /f/file and returns its URL.
func (s *feedServer) fixture(t testing.TB, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	s.set(file, data)
	return s.URL + "/f/" + file
}

func (s *feedServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for m := s.maxInflight.Load(); n > m && !s.maxInflight.CompareAndSwap(m, n); m = s.maxInflight.Load() {
	}
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.agents[r.UserAgent()] = true
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		s.conditional++
	}
	s.mu.Unlock()
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/f/"):
		s.serveDoc(w, r, strings.TrimPrefix(p, "/f/"))
	case p == "/status/429", p == "/status/503":
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", map[string]int{"/status/429": 429, "/status/503": 503}[p])
	case strings.HasPrefix(p, "/status/"):
		var code int
		fmt.Sscanf(p, "/status/%d", &code)
		http.Error(w, "broken", code)
	case p == "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case p == "/to-file":
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	case p == "/endless":
		w.Header().Set("Content-Type", "application/rss+xml")
		chunk := bytes.Repeat([]byte("<item><title>again</title></item>\n"), 1000)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case p == "/bomb":
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBomb())
	case p == "/slow":
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
		s.serveDoc(w, r, "wordpress.xml")
	case p == "/empty":
		w.Header().Set("Content-Type", "application/rss+xml")
	case strings.HasPrefix(p, "/page/"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, pageHTML, strings.TrimPrefix(p, "/page/"))
	default:
		http.NotFound(w, r)
	}
}

const pageHTML = `<!doctype html><html><head><title>%[1]s | Example</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>The full story of %[1]s</h1>
<p>This is the whole article about %[1]s, as the publisher's page shows it, with far more words than the feed's short summary gave.</p>
<p>A second paragraph adds the details that readers of the feed never saw, which is why full text was asked for.</p>
</article><footer>Copyright Example News</footer></body></html>`

func (s *feedServer) serveDoc(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	data, ok := s.docs[name]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(data)
	etag := fmt.Sprintf(`"%x"`, sum[:8])
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.notModified++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Tue, 04 Jul 2023 09:12:44 GMT")
	switch {
	case strings.HasSuffix(name, "-header.xml"):
		w.Header().Set("Content-Type", "text/xml; charset=ISO-8859-1")
	case strings.HasSuffix(name, ".json"):
		w.Header().Set("Content-Type", "application/feed+json")
	default:
		w.Header().Set("Content-Type", "application/rss+xml")
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(data) > 1000 {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(data)
		zw.Close()
		return
	}
	w.Write(data)
}

var gzipBomb = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 64 {
		zw.Write(zeros)
	}
	zw.Close()
	return b.Bytes()
})

// fixedClock is a clock tests move by hand.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (c *fixedClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testPoller returns a poller on a new database, with a clock at
// 2023-07-10 12:00 UTC and no pause between requests to one host.
func testPoller(t testing.TB) (*Poller, *store.DB, *fixedClock) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "digestbot.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &fixedClock{now: time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)}
	p := &Poller{
		Store:   db,
		Fetcher: NewFetcher(FetchOptions{UserAgent: "digestbot/test (+https://digestbot.example)", HostGap: -1, Timeout: 5 * time.Second}),
		Clock:   clock,
	}
	return p, db, clock
}

func countArticles(t testing.TB, db *store.DB) int {
	t.Helper()
	n, err := db.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
