// Package etcdtest runs etcd for tests: embedded one-member servers and
// clusters on loopback in temporary folders, and a TCP proxy a test can cut
// to stand for a network partition. It imports etcd's server, so only test
// files import it: the digestbot binary never links the server.
package etcdtest

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is a one-member etcd on loopback that a test can stop and start
// again (same data, same address).
type Etcd struct {
	t   testing.TB
	cfg *embed.Config
	e   *embed.Etcd
	// URL is the client address, http://127.0.0.1:PORT.
	URL string
}

// Start runs a one-member etcd for the test; it stops at the test's end.
func Start(t testing.TB) *Etcd {
	t.Helper()
	cfg := config(t, "test")
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	te := &Etcd{t: t, cfg: cfg, URL: cfg.ListenClientUrls[0].String()}
	te.Restart()
	t.Cleanup(te.Stop)
	return te
}

// Addr is the client address as host:port.
func (te *Etcd) Addr() string { return strings.TrimPrefix(te.URL, "http://") }

// Restart starts a stopped server again (Start has started it).
func (te *Etcd) Restart() {
	te.t.Helper()
	e, err := embed.StartEtcd(te.cfg)
	if err != nil {
		te.t.Fatal(err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(20 * time.Second):
		e.Close()
		te.t.Fatal("embedded etcd did not start")
	}
	te.e = e
}

// Stop stops the server; its data stays for Restart.
func (te *Etcd) Stop() {
	if te.e != nil {
		te.e.Close()
		te.e = nil
	}
}

// config is a member named name on two free loopback ports, logging
// errors only, to a file (its errors while closing are noise in a test).
func config(t testing.TB, name string) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = name
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{filepath.Join(t.TempDir(), "etcd.log")}
	cfg.UnsafeNoFsync = true
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	return cfg
}

// StartCluster runs an n-member etcd cluster on loopback and returns its
// members; a test that closes one sets it to nil in the slice.
func StartCluster(t testing.TB, n int) []*embed.Etcd {
	t.Helper()
	cfgs := make([]*embed.Config, n)
	var initial []string
	for i := range cfgs {
		cfg := config(t, fmt.Sprintf("m%d", i))
		cfg.InitialClusterToken = "digestbot-test"
		initial = append(initial, cfg.Name+"="+cfg.ListenPeerUrls[0].String())
		cfgs[i] = cfg
	}
	members := make([]*embed.Etcd, n)
	errs := make(chan error, n)
	for i, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
		go func() {
			e, err := embed.StartEtcd(cfg)
			if err == nil {
				members[i] = e
				<-e.Server.ReadyNotify()
			}
			errs <- err
		}()
	}
	for range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("embedded etcd cluster did not start")
		}
	}
	t.Cleanup(func() {
		for _, e := range members {
			if e != nil { // a test may have stopped it (and set it nil)
				e.Close()
			}
		}
	})
	return members
}

// FreePort returns a TCP port free on 127.0.0.1 just now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// CutProxy forwards loopback TCP connections to an address until cut, the
// way a network partition would stop them, and can be restored on the same
// port. (Stopping the embedded etcd instead waits seconds for its clients.)
type CutProxy struct {
	t    testing.TB
	to   string
	addr string

	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
}

// NewCutProxy forwards a new loopback port to the address to (host:port)
// until the test ends.
func NewCutProxy(t testing.TB, to string) *CutProxy {
	p := &CutProxy{t: t, to: to, addr: fmt.Sprintf("127.0.0.1:%d", FreePort(t))}
	p.Restore()
	t.Cleanup(p.Cut)
	return p
}

// URL is the proxy's address as http://host:port.
func (p *CutProxy) URL() string { return "http://" + p.addr }

// Restore accepts connections again (NewCutProxy has started it).
func (p *CutProxy) Restore() {
	p.t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
}

// Cut closes the listener and every connection through it.
func (p *CutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
