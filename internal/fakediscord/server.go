package fakediscord

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Default identities used when Options leave them empty.
const (
	DefaultApplicationID = "1000000000000000001"
	DefaultBotUserID     = DefaultApplicationID // Discord gives a bot user its application's ID
	DefaultBotUsername   = "digestbot"
	DefaultGuildID       = "1000000000000000100"
	DefaultChannelID     = "1000000000000000200"
	DefaultUserID        = "1000000000000000300"
	DefaultUsername      = "alice"
)

// Discord permission bits used by tests.
const (
	PermAdministrator int64 = 1 << 3
	PermManageGuild   int64 = 1 << 5
	// DefaultPermissions is what an ordinary member has in a text channel
	// (view, send, embed, attach, history, reactions, external emoji,
	// application commands, threads); no Manage Server.
	DefaultPermissions int64 = 1<<6 | 1<<10 | 1<<11 | 1<<14 | 1<<15 | 1<<16 | 1<<18 | 1<<31 | 1<<35 | 1<<38
)

// ErrClosed is returned by waits and dispatches once the server is closed.
var ErrClosed = errors.New("fakediscord: server closed")

// Options configure a Server. The zero value is usable.
type Options struct {
	ApplicationID string // default DefaultApplicationID
	BotUserID     string // default DefaultBotUserID
	BotUsername   string // default DefaultBotUsername
	// Token, when set, is required: REST calls must carry "Bot <Token>" in
	// Authorization (else 401) and IDENTIFY/RESUME must carry it (else close
	// code 4004). Empty accepts any token.
	Token string
	// HeartbeatInterval is sent in HELLO (default 5 s; Discord uses 41.25 s).
	// discordgo declares a connection dead after 5 intervals without an ACK.
	// Below about 1 s (the time discordgo's Close sleeps holding the session
	// lock) discordgo sometimes reconnects twice after a drop.
	HeartbeatInterval time.Duration
	// Guilds are announced in READY and GUILD_CREATE. Default: one guild
	// DefaultGuildID with one text channel DefaultChannelID.
	Guilds []Guild
	// Clock supplies "now" for timestamps, snowflakes, the nonce window,
	// token expiry and Fault.For. Default time.Now.
	// Delays and retry_after are always real time (the client sleeps them).
	Clock func() time.Time
	// NonceWindow is how long an enforced nonce deduplicates channel
	// messages (default 3 min; Discord says "a few minutes").
	NonceWindow time.Duration
	// CallbackDeadline is how long after dispatch an interaction may be
	// answered (default 3 s, as Discord), in real time whatever Clock says;
	// negative disables the check. Interaction.AnswerWithin overrides it
	// for one interaction.
	CallbackDeadline time.Duration
	// ReplayLimit bounds the dispatches kept per session for RESUME
	// (default 1000).
	ReplayLimit int
	// CompressPayloads sends gateway frames after IDENTIFY as zlib-compressed
	// binary frames when the client asked for compress (discordgo does by
	// default). Off: plain JSON text frames, which Discord also allows.
	CompressPayloads bool
	// Logger receives debug logs; default discards.
	Logger *slog.Logger
	// Shards and MaxConcurrency are what GET /gateway/bot recommends
	// (default 1 each). A bot that identifies as shard [id, count] gets the
	// guilds of that shard ((guild_id >> 22) % count) and their
	// interactions; several processes may hold the shards of one count.
	Shards, MaxConcurrency int
	// Listen is the loopback address to listen on (default 127.0.0.1:0);
	// any other address is refused.
	Listen string
	// OnChannelMessage, when set, is called with each channel message
	// created (POST /channels/{id}/messages; not a nonce repeat), in
	// creation order, with the server's lock held: keep it short.
	OnChannelMessage func(Message)
	// InvalidRequestLimit is how many invalid requests (401, 403, 429 not
	// of scope "shared") in 10 minutes get the client banned: every request
	// answered by Cloudflare's HTML 429 for BanFor. Defaults: Discord's
	// 10,000, and an hour.
	InvalidRequestLimit int
	BanFor              time.Duration
	// TolerateViolations keeps StartT from failing a test whose client
	// broke a documented rule (see Violations). For tests of clients known
	// to depart from the docs, such as discordgo's own gateway.
	TolerateViolations bool
}

// Guild is a guild the fake knows.
type Guild struct {
	ID, Name string
	Channels []Channel
	Roles    []Role
}

// Channel is a text channel of a guild.
type Channel struct{ ID, Name string }

// Role is a guild role.
type Role struct {
	ID, Name    string
	Permissions int64
}

// Server is a Discord stand-in on 127.0.0.1: REST API under /api/v9 (and
// v10), a websocket gateway under /ws. Create it with New, start with Start,
// stop with Close. All methods are safe for concurrent use.
type Server struct {
	opts Options

	srv       *httptest.Server
	addr      string // host:port on loopback
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // websocket handlers and writers

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every change; see wait
	lastID  uint64

	requests   []Request
	frames     []Frame
	violations []Violation
	rl         restLimits

	// HTTP interactions: the application's key pair and where to POST.
	pub             ed25519.PublicKey
	priv            ed25519.PrivateKey
	endpointClient  *http.Client
	interactionsURL string // guarded by mu
	transports      []*http.Transport

	commands     map[string][]*Command // scope: "" global, else guild ID
	messages     []*Message
	messageByID  map[string]*Message
	nonces       map[string]*Message // channel+"\x00"+nonce
	channels     map[string]channelState
	interactions map[string]*interactionState
	byToken      map[string]*interactionState
	faults       []*faultRule
	armed        atomic.Bool // a fault or route limit was ever added: check them
	faultByID    map[int]*faultRule
	limits       []*routeLimit
	nextFault    int

	gw gatewayState
}

// New returns an unstarted server; it does no I/O.
func New(opts Options) *Server {
	if opts.ApplicationID == "" {
		opts.ApplicationID = DefaultApplicationID
	}
	if opts.BotUserID == "" {
		opts.BotUserID = DefaultBotUserID
	}
	if opts.BotUsername == "" {
		opts.BotUsername = DefaultBotUsername
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 5 * time.Second
	}
	if opts.HeartbeatInterval < time.Millisecond {
		opts.HeartbeatInterval = time.Millisecond
	}
	if len(opts.Guilds) == 0 {
		opts.Guilds = []Guild{{ID: DefaultGuildID, Name: "Test Guild",
			Channels: []Channel{{ID: DefaultChannelID, Name: "general"}}}}
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.NonceWindow <= 0 {
		opts.NonceWindow = 3 * time.Minute
	}
	if opts.CallbackDeadline == 0 {
		opts.CallbackDeadline = discordgo.InteractionDeadline
	}
	if opts.InvalidRequestLimit <= 0 {
		opts.InvalidRequestLimit = defaultInvalidLimit
	}
	if opts.BanFor <= 0 {
		opts.BanFor = defaultBanFor
	}
	if opts.ReplayLimit <= 0 {
		opts.ReplayLimit = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	return &Server{
		pub: pub, priv: priv, endpointClient: endpointHTTPClient(),
		opts:         opts,
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		commands:     map[string][]*Command{},
		messageByID:  map[string]*Message{},
		nonces:       map[string]*Message{},
		channels:     map[string]channelState{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		faultByID:    map[int]*faultRule{},
		gw:           newGatewayState(),
	}
}

// Start listens on 127.0.0.1 (loopback only) and serves.
func (f *Server) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil || f.closed {
		return errors.New("fakediscord: Start called twice or after Close")
	}
	addr := f.opts.Listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("fakediscord: listen address %q: want a loopback address such as 127.0.0.1:0", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fakediscord: listening on loopback: %w", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serveHTTP))
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = nil
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start()
	f.srv = srv
	f.addr = l.Addr().String()
	return nil
}

// StartT creates and starts a server for a test and closes it at cleanup.
func StartT(tb testing.TB, opts Options) *Server {
	tb.Helper()
	f := New(opts)
	if err := f.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		f.Close()
		if f.opts.TolerateViolations {
			return
		}
		for _, v := range f.Violations() {
			tb.Errorf("fakediscord: the client broke a documented rule: %v", v)
		}
	})
	return f
}

// Close drops every gateway connection, waits for the server's goroutines,
// and stops the HTTP server. Waits in progress return ErrClosed. Safe to
// call more than once.
func (f *Server) Close() error {
	f.closeOnce.Do(func() {
		close(f.done)
		f.mu.Lock()
		f.closed = true
		conns := f.gw.liveConns()
		transports := f.transports
		f.notifyLocked()
		f.mu.Unlock()
		for _, c := range conns {
			c.ws.NetConn().Close()
		}
		f.wg.Wait()
		if f.srv != nil {
			f.srv.Close()
		}
		for _, t := range transports {
			t.CloseIdleConnections()
		}
		f.endpointClient.CloseIdleConnections()
	})
	return nil
}

// URL is the HTTP base, e.g. http://127.0.0.1:41234.
func (f *Server) URL() string { return "http://" + f.addr }

// APIURL is the REST API base with version, e.g. http://127.0.0.1:41234/api/v9/.
func (f *Server) APIURL() string { return f.URL() + "/api/v" + discordgo.APIVersion + "/" }

// GatewayURL is the websocket URL answered by GET /gateway.
func (f *Server) GatewayURL() string { return "ws://" + f.addr + "/ws" }

// ApplicationID is the application ID the fake answers for.
func (f *Server) ApplicationID() string { return f.opts.ApplicationID }

// HTTPClient returns a client whose transport sends every request for a
// Discord host (discord.com, discordapp.com, their subdomains) or for the
// fake itself to the fake, and refuses any other host, so nothing can leak
// off the machine. Its timeout is discordgo's default, 20 s. Close closes
// its idle connections.
func (f *Server) HTTPClient() *http.Client {
	base := &http.Transport{
		Proxy:               nil,
		DialContext:         f.dialFake,
		MaxIdleConns:        128,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
	}
	f.mu.Lock()
	f.transports = append(f.transports, base)
	f.mu.Unlock()
	return &http.Client{Transport: &rewriteTransport{host: f.addr, base: base}, Timeout: 20 * time.Second}
}

// Dialer returns a websocket dialer that can reach only the fake.
func (f *Server) Dialer() *websocket.Dialer {
	return &websocket.Dialer{
		Proxy:            nil,
		HandshakeTimeout: 5 * time.Second,
		NetDialContext:   f.dialFake,
	}
}

// Configure points a discordgo session at the fake without touching
// discordgo's package-level endpoint variables: it replaces the session's
// HTTP client (host-rewriting transport) and websocket dialer. discordgo
// learns the websocket URL from GET /api/v9/gateway, which the fake answers
// with GatewayURL. Rate-limit retries stay on (discordgo's default) and REST
// retries on 502 stay at 3; discordgo offers no bound on the 429 loop other
// than a per-call discordgo.WithContext deadline (see the package doc).
func (f *Server) Configure(s *discordgo.Session) {
	s.Client = f.HTTPClient()
	s.Dialer = f.Dialer()
	s.ShouldRetryOnRateLimit = true
	s.MaxRestRetries = 3
	s.ShouldReconnectOnError = true
}

func (f *Server) dialFake(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != f.addr {
		return nil, fmt.Errorf("fakediscord: refusing to dial %s: only the fake at %s is reachable", addr, f.addr)
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	return d.DialContext(ctx, "tcp4", f.addr)
}

type rewriteTransport struct {
	host string
	base http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isDiscordHost(req.URL.Hostname()) && req.URL.Host != t.host {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("fakediscord: refusing request to %s: not a Discord host", req.URL.Host)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = "http"
	r.URL.Host = t.host
	r.Host = t.host
	return t.base.RoundTrip(r)
}

func isDiscordHost(h string) bool {
	h = strings.ToLower(h)
	for _, d := range []string{"discord.com", "discordapp.com", "discord.gg", "discordapp.net"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// now is the injected clock.
func (f *Server) now() time.Time { return f.opts.Clock() }

const discordEpochMs = 1420070400000

// newIDLocked returns a fresh snowflake: milliseconds since Discord's epoch
// shifted by 22 bits, strictly increasing.
func (f *Server) newIDLocked() string {
	ms := f.now().UnixMilli() - discordEpochMs
	if ms < 0 {
		ms = 0
	}
	id := uint64(ms) << 22
	if id <= f.lastID {
		id = f.lastID + 1
	}
	f.lastID = id
	return strconv.FormatUint(id, 10)
}

// notifyLocked wakes every waiter; call with f.mu held after any change.
func (f *Server) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// wait blocks until cond (called with f.mu held) is true, ctx ends or the
// server closes.
func (f *Server) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		f.mu.Lock()
		ok := cond()
		ch := f.changed
		closed := f.closed
		f.mu.Unlock()
		if ok {
			return nil
		}
		if closed {
			return fmt.Errorf("fakediscord: waiting for %s: %w", what, ErrClosed)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakediscord: waiting for %s: %w", what, context.Cause(ctx))
		case <-f.done:
		case <-ch:
		}
	}
}

// sleep waits d of real time; false if the server closed or ctx ended first.
func (f *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.done:
		return false
	case <-ctx.Done():
		return false
	}
}

func (f *Server) guild(id string) (Guild, bool) {
	for _, g := range f.opts.Guilds {
		if g.ID == id {
			return g, true
		}
	}
	return Guild{}, false
}
