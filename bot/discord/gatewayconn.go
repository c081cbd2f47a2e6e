package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Our own gateway client. discordgo v0.29.0's departs from Discord's
// documentation (discord-api-docs topics/gateway) where it matters most:
// it closes with 1000 and then resumes (the session is gone), resumes on
// the URL from GET /gateway instead of READY's resume_gateway_url, sends the
// first heartbeat at once, and answers op 9 by identifying on the same
// connection. discordgo still does every REST call.

// Gateway opcodes (topics/opcodes-and-status-codes#gateway-opcodes).
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// closeResumable is the close code we send when we mean to resume: any
// code but 1000/1001, which end the session (topics/gateway#initiating-a-disconnect).
const closeResumable = 4000

// handshakeTimeout bounds HELLO and READY/RESUMED after a connection opens.
const handshakeTimeout = 20 * time.Second

// errInvalidSession: Discord answered op 9 (its d says whether the session
// may still be resumed).
var errInvalidSession = errors.New("discord gateway: invalid session (op 9)")

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  string          `json:"t"`
}

// gwSession is what outlives one connection: the session to resume.
type gwSession struct {
	id, resumeURL string
	seq           int64
}

// gwConn is one websocket connection to the gateway.
type gwConn struct {
	ws        *websocket.Conn
	wmu       sync.Mutex // one writer at a time
	interval  time.Duration
	acked     atomic.Bool   // the last heartbeat was acknowledged
	beat      chan struct{} // op 1 from Discord: heartbeat now
	handshake chan error    // READY/RESUMED (nil) or why not; once
	hsOnce    sync.Once
	done      chan struct{} // closed when the connection ends
	stopOnce  sync.Once
	endOnce   sync.Once
	readDone  chan struct{}
	// established: the handshake succeeded and connect returned it; only
	// then does losing it start a reconnection.
	established atomic.Bool
}

func (c *gwConn) send(op int, d any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(map[string]any{"op": op, "d": d})
}

// end closes the connection once: with code (a close frame, then the TCP
// connection once Discord answers or after a second) or, with code 0, by
// dropping the TCP connection.
func (c *gwConn) end(code int) {
	c.stop()
	c.endOnce.Do(func() {
		if code != 0 {
			c.wmu.Lock()
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
			c.wmu.Unlock()
			t := time.NewTimer(time.Second)
			select {
			case <-c.readDone:
			case <-t.C:
			}
			t.Stop()
		}
		c.ws.Close()
	})
}

// stop marks the connection ended (its goroutines return).
func (c *gwConn) stop() { c.stopOnce.Do(func() { close(c.done) }) }

func (c *gwConn) handshaken(err error) {
	c.hsOnce.Do(func() { c.handshake <- err })
}

// connect opens one gateway connection and resumes the session, or
// identifies when there is none; it returns once Discord answered READY or
// RESUMED, or why it did not.
func (g *gateway) connect(ctx context.Context) error {
	target, resume, err := g.target(ctx)
	if err != nil {
		return err
	}
	ws, _, err := g.dialer.DialContext(ctx, target, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", target, err)
	}
	interval, err := readHello(ws)
	if err != nil {
		ws.Close()
		return err
	}
	c := &gwConn{ws: ws, interval: interval,
		beat: make(chan struct{}, 1), handshake: make(chan error, 1), done: make(chan struct{}), readDone: make(chan struct{})}
	c.acked.Store(true)
	g.mu.Lock()
	g.conn = c
	g.mu.Unlock()
	go g.read(c)
	go g.heartbeat(c)
	if resume {
		g.mu.Lock()
		d := map[string]any{"token": g.token, "session_id": g.sess.id, "seq": g.sess.seq}
		g.mu.Unlock()
		err = c.send(opResume, d)
	} else {
		err = c.send(opIdentify, g.identify())
	}
	if err != nil {
		c.end(0)
		return fmt.Errorf("sending the handshake: %w", err)
	}
	t := time.NewTimer(handshakeTimeout)
	defer t.Stop()
	select {
	case err = <-c.handshake:
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = errors.New("no READY or RESUMED in time")
	}
	if err == nil {
		ws.SetReadDeadline(time.Time{})
		c.established.Store(true)
		select {
		case <-c.done: // lost between READY and here
			err = errors.New("connection lost right after the handshake")
		default:
			return nil
		}
	}
	g.mu.Lock()
	if g.conn == c {
		g.conn = nil
	}
	g.mu.Unlock()
	c.end(closeResumable)
	return err
}

// readHello reads HELLO (op 10), the first frame, and returns its
// heartbeat interval.
func readHello(ws *websocket.Conn) (time.Duration, error) {
	ws.SetReadDeadline(time.Now().Add(handshakeTimeout))
	var hello struct {
		Op int `json:"op"`
		D  struct {
			HeartbeatInterval int64 `json:"heartbeat_interval"`
		} `json:"d"`
	}
	err := ws.ReadJSON(&hello)
	if err == nil && (hello.Op != opHello || hello.D.HeartbeatInterval <= 0) {
		err = fmt.Errorf("first frame is op %d with interval %d, not HELLO", hello.Op, hello.D.HeartbeatInterval)
	}
	if err != nil {
		return 0, fmt.Errorf("reading HELLO: %w", err)
	}
	return time.Duration(hello.D.HeartbeatInterval) * time.Millisecond, nil
}

// target is where to connect: READY's resume_gateway_url to resume
// (topics/gateway#preparing-to-resume), else the URL from GET /gateway,
// cached (topics/gateway#connecting). Both with the same query.
func (g *gateway) target(ctx context.Context) (string, bool, error) {
	g.mu.Lock()
	sess, base := g.sess, g.connectURL
	g.mu.Unlock()
	resume := sess.id != "" && sess.resumeURL != ""
	if resume {
		base = sess.resumeURL
	}
	if base == "" {
		u, err := g.gatewayURL(ctx)
		if err != nil {
			return "", false, fmt.Errorf("GET /gateway: %w", err)
		}
		g.mu.Lock()
		g.connectURL = u
		g.mu.Unlock()
		base = u
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", false, fmt.Errorf("gateway URL %q is not a ws(s) URL", base)
	}
	q := u.Query()
	q.Set("v", discordgo.APIVersion)
	q.Set("encoding", "json")
	u.RawQuery = q.Encode()
	return u.String(), resume, nil
}

func (g *gateway) identify() map[string]any {
	d := map[string]any{
		"token":   g.token,
		"intents": g.intents,
		"properties": map[string]string{
			"os": runtime.GOOS, "browser": "digestbot", "device": "digestbot",
		},
	}
	if g.shardCount > 1 {
		d["shard"] = [2]int{g.shardID, g.shardCount}
	}
	return d
}

// heartbeat waits interval × jitter, then beats every interval
// (topics/gateway#heartbeat-interval). A heartbeat not acknowledged by the
// next one marks a zombie connection: close it with a code other than
// 1000/1001 and resume.
func (g *gateway) heartbeat(c *gwConn) {
	t := time.NewTimer(time.Duration(g.jitter() * float64(c.interval)))
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if !c.acked.Load() {
				g.lost(c, errors.New("no heartbeat ACK since the last heartbeat (zombie connection)"), closeResumable)
				return
			}
			t.Reset(c.interval)
		case <-c.beat: // Discord asked (op 1): beat now, keep the schedule
		}
		c.acked.Store(false)
		g.mu.Lock()
		seq := g.sess.seq
		g.mu.Unlock()
		var d any
		if seq > 0 {
			d = seq
		}
		if err := c.send(opHeartbeat, d); err != nil {
			g.lost(c, fmt.Errorf("sending a heartbeat: %w", err), 0)
			return
		}
	}
}

// read handles every frame of a connection until it ends.
func (g *gateway) read(c *gwConn) {
	defer close(c.readDone)
	for {
		var f frame
		_, data, err := c.ws.ReadMessage()
		if err == nil {
			err = json.Unmarshal(data, &f)
		}
		if err != nil {
			select {
			case <-c.done: // we closed it
			default:
				c.handshaken(err)
				g.lost(c, err, 0)
			}
			return
		}
		switch f.Op {
		case opDispatch:
			g.dispatch(c, f)
		case opHeartbeat:
			select {
			case c.beat <- struct{}{}:
			default:
			}
		case opHeartbeatACK:
			c.acked.Store(true)
		case opReconnect:
			// topics/gateway-events#reconnect: reconnect and resume.
			g.lost(c, errors.New("Discord asked to reconnect (op 7)"), closeResumable)
			return
		case opInvalidSession:
			// topics/gateway#resuming: disconnect; with d false open a new
			// connection on the cached URL and identify, with d true
			// reconnect and resume. Never a handshake on this connection.
			var resumable bool
			json.Unmarshal(f.D, &resumable)
			if !resumable {
				g.forget()
			}
			err := fmt.Errorf("%w, resumable: %v", errInvalidSession, resumable)
			c.handshaken(err)
			g.lost(c, err, closeResumable)
			return
		}
	}
}

// dispatch handles an op 0 event.
func (g *gateway) dispatch(c *gwConn, f frame) {
	g.mu.Lock()
	if f.S != nil {
		g.sess.seq = *f.S
	}
	g.mu.Unlock()
	switch f.T {
	case "READY":
		var r struct {
			SessionID        string `json:"session_id"`
			ResumeGatewayURL string `json:"resume_gateway_url"`
		}
		if err := json.Unmarshal(f.D, &r); err != nil || r.SessionID == "" {
			c.handshaken(fmt.Errorf("unreadable READY: %v", err))
			return
		}
		g.mu.Lock()
		g.sess.id, g.sess.resumeURL = r.SessionID, r.ResumeGatewayURL
		g.mu.Unlock()
		g.events.gatewayReady(f.D)
		c.handshaken(nil)
	case "RESUMED":
		c.handshaken(nil)
	default:
		g.events.gatewayEvent(f.T, f.D)
	}
}

// lost ends a connection that failed or that Discord ended, and starts
// reconnecting unless the close code says it is hopeless.
func (g *gateway) lost(c *gwConn, why error, code int) {
	g.mu.Lock()
	current := g.conn == c
	if current {
		g.conn = nil
	}
	g.mu.Unlock()
	c.stop()
	go c.end(code)
	var ce *websocket.CloseError
	if errors.As(why, &ce) {
		switch ce.Code {
		case 4007, 4009: // invalid seq, session timed out: identify anew
			g.forget()
		}
	}
	if current && c.established.Load() {
		g.events.disconnected(why)
	}
}

// forget drops the session: the next connection identifies.
func (g *gateway) forget() {
	g.mu.Lock()
	g.sess = gwSession{}
	g.mu.Unlock()
}

// close ends the connection with 1000: the session ends and the bot shows
// offline, as it should on shutdown.
func (g *gateway) close() {
	g.mu.Lock()
	c := g.conn
	g.conn = nil
	g.mu.Unlock()
	if c != nil {
		c.end(websocket.CloseNormalClosure)
	}
}

func randomJitter() float64 { return rand.Float64() }
