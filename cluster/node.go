package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

// Options configure a replica's connection to the cluster.
type Options struct {
	Name      string   // this replica, unique in the cluster
	Endpoints []string // etcd client URLs
	Prefix    string   // keys digestbot keeps in etcd start with it; ends with /
	// TLS files (PEM): CA verifies the servers; Cert and Key authenticate
	// this client.
	CA, Cert, Key string
	// Username and Password for etcd's authentication (both or neither).
	Username, Password string
	// Lease is the TTL of the replica's lease (whole seconds, at least 2s).
	Lease time.Duration
	Log   *slog.Logger
	// Now tells the time for fencing deadlines; default time.Now.
	Now func() time.Time

	lookOnly bool // connect only: no lease (Inspect)
}

// Node is this replica's membership of the cluster: its etcd connection
// and the lease everything it holds is attached to. It is safe for
// concurrent use.
type Node struct {
	opts  Options
	cli   *clientv3.Client
	log   *slog.Logger
	trips atomic.Int64 // etcd requests made (for the round-trip metric)

	mu      sync.Mutex
	sess    *concurrency.Session // nil while no lease is held
	changed chan struct{}        // closed when sess changes
	why     string               // why sess is nil
	since   time.Time            // when the current state began
	leading bool

	stop context.CancelFunc
	done chan struct{}
}

// ErrNoLease is returned while the replica holds no lease (etcd
// unreachable): nothing may be claimed or posted.
var ErrNoLease = errors.New("no cluster lease")

// ErrFenced is returned when a post or a record is refused because the
// replica's lease or claim is gone.
var ErrFenced = errors.New("fenced: this replica's lease or claim is gone")

// Join connects to etcd and keeps a lease for this replica until Close.
// It does not wait for etcd: while etcd is unreachable the replica holds
// no lease, Status says why, and it keeps trying.
func Join(opts Options) (*Node, error) {
	if opts.Name == "" || strings.Contains(opts.Name, "/") {
		return nil, fmt.Errorf("cluster: replica name %q: empty or containing /", opts.Name)
	}
	if opts.Prefix == "" {
		opts.Prefix = "/digestbot/"
	}
	if opts.Lease < 2*time.Second {
		opts.Lease = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := clientv3.Config{
		Endpoints:   opts.Endpoints,
		DialTimeout: 5 * time.Second,
		Username:    opts.Username,
		Password:    opts.Password,
		Logger:      zap.NewNop(),
		// Ask a member that cannot reach the others' quorum to say so,
		// instead of answering from its own stale state.
		RejectOldCluster: true,
	}
	tc, err := tlsConfig(opts)
	if err != nil {
		return nil, err
	}
	cfg.TLS = tc
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to etcd at %s: %w", strings.Join(opts.Endpoints, ", "), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{opts: opts, cli: cli, log: opts.Log.With("replica", opts.Name), changed: make(chan struct{}),
		why: "connecting to etcd", since: opts.Now(), stop: cancel, done: make(chan struct{})}
	if opts.lookOnly {
		cancel()
		close(n.done)
		return n, nil
	}
	go n.keepLease(ctx)
	return n, nil
}

// tlsConfig builds the client TLS configuration from the files, nil when
// none is configured and no endpoint is https.
func tlsConfig(opts Options) (*tls.Config, error) {
	secure := opts.CA != "" || opts.Cert != ""
	for _, e := range opts.Endpoints {
		if u, err := url.Parse(e); err == nil && u.Scheme == "https" {
			secure = true
		}
	}
	if !secure {
		return nil, nil
	}
	info := transport.TLSInfo{CertFile: opts.Cert, KeyFile: opts.Key, TrustedCAFile: opts.CA}
	if opts.Cert == "" {
		// ClientConfig insists on a key pair; a CA alone verifies the server.
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.CA != "" {
			pem, err := os.ReadFile(opts.CA)
			if err != nil {
				return nil, fmt.Errorf("etcd CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("etcd CA file %s: no PEM certificate in it", opts.CA)
			}
			tc.RootCAs = pool
		}
		return tc, nil
	}
	tc, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd TLS files (cert %s, key %s, ca %s): %w", opts.Cert, opts.Key, opts.CA, err)
	}
	return tc, nil
}

// Name is this replica's name.
func (n *Node) Name() string { return n.opts.Name }

// Lease is the configured lease TTL.
func (n *Node) Lease() time.Duration { return n.opts.Lease }

// RoundTrips counts the etcd requests this replica made.
func (n *Node) RoundTrips() int64 { return n.trips.Load() }

// requestTimeout bounds each etcd request: while etcd is unreachable the
// client would otherwise wait for it indefinitely.
const requestTimeout = 5 * time.Second

// request bounds ctx for one etcd request.
func request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, requestTimeout)
}

// key is the etcd key of parts under the prefix, each part escaped.
func (n *Node) key(kind string, parts ...string) string {
	var b strings.Builder
	b.WriteString(n.opts.Prefix)
	b.WriteString(kind)
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// Close steps down, revokes the lease (so others take over at once) and
// disconnects.
func (n *Node) Close() error {
	n.stop()
	<-n.done
	return n.cli.Close()
}

// member is what members/NAME holds.
type member struct {
	Name    string    `json:"name"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// keepLease holds a lease while etcd answers, and takes a new one when it
// is lost, until ctx ends.
func (n *Node) keepLease(ctx context.Context) {
	defer close(n.done)
	backoff := time.Duration(0)
	for {
		sess, err := n.newSession(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			n.setSession(nil, fmt.Sprintf("etcd unreachable: %v", err))
			backoff = min(max(2*backoff, 200*time.Millisecond), n.opts.Lease/2)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		n.setSession(sess, "")
		n.log.Info("cluster lease granted", "lease", fmt.Sprintf("%x", sess.Lease()), "ttl", n.opts.Lease)
		select {
		case <-ctx.Done():
			n.setSession(nil, "stopping")
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			n.trips.Add(1)
			_, _ = n.cli.Revoke(rctx, sess.Lease())
			cancel()
			sess.Orphan()
			return
		case <-sess.Done():
			n.setSession(nil, "lease lost: etcd did not renew it within "+n.opts.Lease.String())
			n.log.Warn("cluster lease lost; nothing is posted until a new one is granted")
		}
	}
}

// newSession grants a lease, starts keeping it alive and registers the
// member key under it.
func (n *Node) newSession(ctx context.Context) (*concurrency.Session, error) {
	gctx, cancel := context.WithTimeout(ctx, n.opts.Lease)
	defer cancel()
	n.trips.Add(1)
	g, err := n.cli.Grant(gctx, int64(n.opts.Lease/time.Second))
	if err != nil {
		return nil, fmt.Errorf("grant a lease: %w", err)
	}
	sess, err := concurrency.NewSession(n.cli, concurrency.WithLease(g.ID), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("keep the lease alive: %w", err)
	}
	v, _ := json.Marshal(member{Name: n.opts.Name, PID: os.Getpid(), Started: n.opts.Now()})
	n.trips.Add(1)
	if _, err := n.cli.Put(gctx, n.key("members", n.opts.Name), string(v), clientv3.WithLease(g.ID)); err != nil {
		sess.Orphan()
		return nil, fmt.Errorf("register as a member: %w", err)
	}
	return sess, nil
}

func (n *Node) setSession(s *concurrency.Session, why string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s == nil && n.sess == nil && n.why == why {
		return
	}
	n.sess, n.why, n.since = s, why, n.opts.Now()
	close(n.changed)
	n.changed = make(chan struct{})
}

// session returns the current session (nil while none) and a channel
// closed when it changes.
func (n *Node) session() (*concurrency.Session, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sess, n.changed
}

// Status is this replica's standing in the cluster.
type Status struct {
	Up      bool      // holds a lease: may claim and post
	Leading bool      // elected to run the schedules
	Why     string    // why not Up
	Since   time.Time // when Up last changed
}

// Status reports whether this replica holds a lease, and why not.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Status{Up: n.sess != nil, Leading: n.leading, Why: n.why, Since: n.since}
}

// leaseID is the current lease, or ErrNoLease.
func (n *Node) leaseID() (clientv3.LeaseID, error) {
	s, _ := n.session()
	if s == nil {
		return 0, n.noLease()
	}
	return s.Lease(), nil
}

func (n *Node) noLease() error {
	st := n.Status()
	return fmt.Errorf("%w: %s", ErrNoLease, st.Why)
}

// Fence proves that this replica still holds its lease, by renewing it
// once, and returns a context that ends before the lease could expire:
// post under it. It fails with ErrFenced when the lease is gone, and with
// ErrNoLease while none is held.
func (n *Node) Fence(ctx context.Context) (context.Context, context.CancelFunc, error) {
	id, err := n.leaseID()
	if err != nil {
		return nil, nil, err
	}
	asked := n.opts.Now()
	rctx, cancel := context.WithTimeout(ctx, n.opts.Lease/3)
	n.trips.Add(1)
	resp, err := n.cli.KeepAliveOnce(rctx, id)
	cancel()
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("%w: renewing lease %x: %v", ErrFenced, id, err)
	}
	ttl := time.Duration(resp.TTL) * time.Second
	deadline := asked.Add(ttl * 9 / 10)
	if !deadline.After(n.opts.Now()) {
		return nil, nil, fmt.Errorf("%w: the lease renewal took longer than the lease", ErrFenced)
	}
	fctx, fcancel := context.WithDeadline(ctx, deadline)
	return fctx, fcancel, nil
}
