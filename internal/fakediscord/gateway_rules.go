package fakediscord

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// resumePath is where READY's resume_gateway_url points: a URL different
// from the one GET /gateway gives, as on Discord (topics/gateway#ready-event).
const resumePath = "/resume"

// heartbeatSlack is how late a heartbeat may be before the fake closes the
// connection: Discord says its interval already has tolerance for latency
// (topics/gateway#heartbeat-interval); a loaded test machine needs more.
const heartbeatSlack = 2 * time.Second

// Violation is a breach of Discord's documented rules that Discord itself
// would tolerate, or answer only indirectly (more disconnects, a refused
// RESUME): the fake records it so that tests can fail on it. Rule names the
// section of discord-api-docs it comes from.
type Violation struct {
	Time   time.Time
	Rule   string
	Detail string
}

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Violations returns the rule breaches seen so far.
func (f *Server) Violations() []Violation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Violation(nil), f.violations...)
}

func (f *Server) violateLocked(rule, detail string) {
	f.violations = append(f.violations, Violation{Time: time.Now(), Rule: rule, Detail: detail})
	f.opts.Logger.Warn("fakediscord: rule broken", "rule", rule, "detail", detail)
}

// ResumeGatewayURL is the resume_gateway_url READY gives a client that
// connected to GatewayURL.
func (f *Server) ResumeGatewayURL() string { return "ws://" + f.addr + resumePath }

// clientClosed notes how the client ended a connection; it runs (as the
// websocket's close handler) before the close is echoed, so a client that
// reconnects at once finds the session already gone.
//
// topics/gateway#initiating-a-disconnect: "When you close the connection to
// the gateway with close code 1000 or 1001, your session will be
// invalidated"; any other code, or a dropped TCP connection, keeps it
// resumable.
func (f *Server) clientClosed(c *wsConn, code int, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Closed once the close frame is in, before it is echoed: a client
	// that returns when it reads the echo finds the connection gone.
	delete(f.gw.conns, c)
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	f.notifyLocked()
	if c.serverClosed {
		return // the client echoing our close frame
	}
	f.recordFrameLocked(c.id, true, -1, "CLOSE", 0, []byte(fmt.Sprintf(`{"code":%d,"reason":%q}`, code, text)))
	if (code == websocket.CloseNormalClosure || code == websocket.CloseGoingAway) && c.sess != nil {
		c.sess.valid = false
		c.sess.buf = nil
	}
	f.notifyLocked()
}

// refuseAfterInvalidLocked closes a connection on which op 9 was sent and
// the client still tries a handshake.
//
// topics/gateway#resuming: on INVALID_SESSION "your app should disconnect.
// After disconnect, your app should create a new connection ... then send
// an Identify"; and topics/gateway-events#invalid-session: with d true, "the
// app should reconnect and attempt to resume". Either way a new connection.
func (f *Server) refuseAfterInvalidLocked(c *wsConn, what string) bool {
	if !c.invalidated {
		return false
	}
	f.violateLocked("gateway#resuming", fmt.Sprintf("%s on connection %d after op 9: the client must disconnect and open a new connection first", what, c.id))
	f.closeLocked(c, CloseUnknownError, "Invalid session: reconnect before a new handshake.")
	return true
}

// heartbeatLocked checks the timing of a heartbeat (op 1) from the client.
//
// topics/gateway#heartbeat-interval: "Upon receiving the Hello event, your
// app should wait heartbeat_interval * jitter where jitter is any random
// value between 0 and 1, then send its first Heartbeat ... From that point
// ... every heartbeat_interval milliseconds."
//
// One early first heartbeat proves nothing (jitter may be small), but a
// client sending it at once (within 1% of the interval) on three
// connections in a row has no jitter: the chance of that with a uniform
// jitter is one in a million. (A late heartbeat is not the client's
// doing alone — it may be paused — and is answered by watchHeartbeats.)
func (f *Server) heartbeatLocked(c *wsConn) {
	now := time.Now()
	if c.lastBeat.IsZero() {
		j := float64(now.Sub(c.hello)) / float64(f.opts.HeartbeatInterval)
		f.gw.jitters = append(f.gw.jitters, j)
		if n := len(f.gw.jitters); n >= 3 && n%3 == 0 {
			if all := f.gw.jitters[n-3:]; all[0] < 0.01 && all[1] < 0.01 && all[2] < 0.01 {
				f.violateLocked("gateway#heartbeat-interval", fmt.Sprintf("first heartbeat sent at once (jitter %.4f, %.4f, %.4f of the interval) on three connections in a row: no jitter", all[0], all[1], all[2]))
			}
		}
	}
	c.lastBeat = now
}

// watchHeartbeats closes a connection whose heartbeats stop: "If your app
// fails to send a heartbeat event in time, your connection will be closed
// and you will be forced to Resume" (topics/gateway#heartbeat-interval).
// The session stays resumable. Discord's tolerance is not documented: the
// fake allows two intervals and heartbeatSlack (a loaded test machine).
func (f *Server) watchHeartbeats(c *wsConn) {
	defer f.wg.Done()
	interval := f.opts.HeartbeatInterval
	t := time.NewTicker(max(interval/4, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-f.done:
			return
		case <-t.C:
		}
		f.mu.Lock()
		last := c.lastBeat
		if last.IsZero() {
			last = c.hello
		}
		if late := time.Since(last); late > 2*interval+heartbeatSlack && !c.serverClosed {
			f.closeLocked(c, CloseUnknownError, fmt.Sprintf("No heartbeat for %v (interval %v): resume.", late.Round(time.Millisecond), interval))
			f.notifyLocked()
		}
		f.mu.Unlock()
	}
}

// HeartbeatJitters returns, per connection in order, how long the client
// waited after HELLO before its first heartbeat, as a fraction of the
// heartbeat interval (see topics/gateway#heartbeat-interval).
func (f *Server) HeartbeatJitters() []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]float64(nil), f.gw.jitters...)
}
