package feed

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FetchOptions tune a Fetcher. Zero values take the defaults.
type FetchOptions struct {
	// UserAgent is sent with every request; it should name digestbot and
	// its version.
	UserAgent string
	// Timeout bounds one request from dial to the last byte of the body;
	// default 60s.
	Timeout time.Duration
	// MaxBytes bounds the body as received; default 8 MiB.
	MaxBytes int64
	// MaxDecodedBytes bounds the body after gzip decompression; default
	// 32 MiB.
	MaxDecodedBytes int64
	// HostGap is the pause between the end of one request to a host and
	// the start of the next; default 500ms, negative for none.
	HostGap time.Duration
}

// Request limits.
const (
	DefaultTimeout         = 60 * time.Second
	DefaultMaxBytes        = 8 << 20
	DefaultMaxDecodedBytes = 32 << 20
	DefaultHostGap         = 500 * time.Millisecond
	// MaxRedirects is how many redirects one request follows.
	MaxRedirects = 5
)

func (o FetchOptions) withDefaults() FetchOptions {
	if o.UserAgent == "" {
		o.UserAgent = "digestbot"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDecodedBytes <= 0 {
		o.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if o.HostGap == 0 {
		o.HostGap = DefaultHostGap
	}
	return o
}

// Errors a fetch can wrap.
var (
	ErrTooLarge         = errors.New("response too large")
	ErrTooManyRedirects = errors.New("too many redirects")
	ErrBadRedirect      = errors.New("redirect to a non-http(s) address")
)

// StatusError is an HTTP answer other than 200 or 304.
type StatusError struct {
	Code int
	// RetryAfter is the wait a 429 or 503 asked for, zero when none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Fetcher makes the HTTP requests for feeds and their items' pages. It is
// safe for concurrent use; requests to one host are made one at a time.
type Fetcher struct {
	opts    FetchOptions
	trusted *http.Client // feed URLs, and pages of feeds that allow private links
	guarded *http.Client // pages: refuses private addresses at dial time
	hosts   hostGate
}

// NewFetcher returns a Fetcher.
func NewFetcher(opts FetchOptions) *Fetcher {
	opts = opts.withDefaults()
	f := &Fetcher{opts: opts, hosts: hostGate{gap: max(opts.HostGap, 0), slots: map[string]*hostSlot{}}}
	f.trusted = newClient(&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second})
	f.guarded = newClient(&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate})
	return f
}

func newClient(d *net.Dialer) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, MaxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s", ErrBadRedirect, req.URL.Redacted())
	}
	return nil
}

// Request is one GET.
type Request struct {
	URL string
	// ETag and LastModified make the request conditional.
	ETag, LastModified string
	// Untrusted refuses to connect to private addresses (for links found
	// in feeds) unless AllowPrivate.
	Untrusted, AllowPrivate bool
	// Accept is the Accept header.
	Accept string
}

// Response is a successful answer.
type Response struct {
	// NotModified is a 304: Body is empty.
	NotModified bool
	Body        []byte
	// URL is where the body came from, after redirects.
	URL                string
	ETag, LastModified string
	ContentType        string
}

// Get makes one request, waiting for the host's previous request to end.
// Answers other than 200 and 304 are *StatusError.
func (f *Fetcher) Get(ctx context.Context, r Request) (Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Response{}, fmt.Errorf("get %s: not an http(s) address", r.URL)
	}
	release, err := f.hosts.acquire(ctx, u.Hostname())
	if err != nil {
		return Response{}, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return Response{}, fmt.Errorf("get %s: %w", r.URL, err)
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept-Encoding", "gzip")
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	client := f.trusted
	if r.Untrusted && !r.AllowPrivate {
		client = f.guarded
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("get %s: %w", u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	out := Response{URL: resp.Request.URL.String(), ETag: resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"), ContentType: resp.Header.Get("Content-Type")}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		out.NotModified = true
		return out, nil
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		se := &StatusError{Code: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return Response{}, fmt.Errorf("get %s: %w", u.Redacted(), se)
	}
	if out.Body, err = f.readBody(resp); err != nil {
		return Response{}, fmt.Errorf("get %s: %w", u.Redacted(), err)
	}
	return out, nil
}

// readBody reads the body within the size limits, decompressing gzip.
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, resp.ContentLength, f.opts.MaxBytes)
	}
	raw := &capReader{r: resp.Body, left: f.opts.MaxBytes, max: f.opts.MaxBytes, what: "body"}
	var r io.Reader = raw
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		r = &capReader{r: zr, left: f.opts.MaxDecodedBytes, max: f.opts.MaxDecodedBytes, what: "decompressed body"}
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", enc)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return data, nil
}

// capReader fails with ErrTooLarge once more than left bytes are read.
type capReader struct {
	r    io.Reader
	left int64 // bytes still allowed
	max  int64 // the limit, for messages
	what string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, c.what, c.max)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, c.what, c.max)
	}
	return n, err
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(MaxBackoff/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now).Round(time.Second), MaxBackoff)
	}
	return 0
}

// unwrapURLError drops *url.Error's "Get "URL": " prefix; callers name the
// URL themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// hostGate lets one request at a time reach each host, with a pause
// between them.
type hostGate struct {
	gap   time.Duration
	mu    sync.Mutex
	slots map[string]*hostSlot
}

type hostSlot struct {
	turn  chan struct{} // holds a token while a request is in flight
	last  time.Time     // when the last request ended; guarded by hostGate.mu
	users int           // requests waiting or in flight; guarded by hostGate.mu
}

func (g *hostGate) acquire(ctx context.Context, host string) (release func(), err error) {
	g.mu.Lock()
	s := g.slots[host]
	if s == nil {
		if len(g.slots) >= maxIdleHosts {
			g.prune()
		}
		s = &hostSlot{turn: make(chan struct{}, 1)}
		g.slots[host] = s
	}
	s.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		s.users--
		g.mu.Unlock()
	}
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	g.mu.Lock()
	last := s.last
	g.mu.Unlock()
	if wait := time.Until(last.Add(g.gap)); wait > 0 && !last.IsZero() {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-s.turn
			leave()
			return nil, ctx.Err()
		}
	}
	return func() {
		g.mu.Lock()
		s.last = time.Now()
		s.users--
		g.mu.Unlock()
		<-s.turn
	}, nil
}

// maxIdleHosts bounds the hosts remembered: full-text links reach many.
const maxIdleHosts = 1024

// prune forgets the hosts with no request waiting or in flight whose
// pause is over. g.mu is held.
func (g *hostGate) prune() {
	for host, s := range g.slots {
		if s.users == 0 && time.Since(s.last) > g.gap {
			delete(g.slots, host)
		}
	}
}
