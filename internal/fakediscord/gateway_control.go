package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
)

// withSession runs fn under the lock with the current valid session,
// waiting (bounded by ctx) until there is one.
func (f *Server) withSession(ctx context.Context, fn func(*session) error) error {
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return ErrClosed
		}
		if s := f.gw.current; s != nil && s.valid {
			err := fn(s)
			f.notifyLocked()
			f.mu.Unlock()
			return err
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakediscord: waiting for a gateway session: %w", context.Cause(ctx))
		case <-f.done:
		case <-ch:
		}
	}
}

// Dispatch sends an event (op 0) to the bot on the current session,
// waiting for a valid session if there is none. While the bot is
// disconnected the event is buffered for its RESUME.
func (f *Server) Dispatch(ctx context.Context, eventType string, data any) (int64, error) {
	db, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("fakediscord: encoding %s: %w", eventType, err)
	}
	var seq int64
	err = f.withSession(ctx, func(s *session) error {
		seq = f.dispatchRawLocked(s, eventType, db)
		return nil
	})
	return seq, err
}

// WaitSession waits until the bot holds a live, handshaken connection.
func (f *Server) WaitSession(ctx context.Context) error {
	return f.wait(ctx, "a live gateway session", func() bool {
		s := f.gw.current
		return s != nil && s.valid && s.conn != nil
	})
}

// WaitHandshakes waits until READY or RESUMED has been sent n times in all.
func (f *Server) WaitHandshakes(ctx context.Context, n int) error {
	return f.wait(ctx, fmt.Sprintf("%d gateway handshakes", n), func() bool { return f.gw.handshakes >= n })
}

// Frames returns every gateway frame so far.
func (f *Server) Frames() []Frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Frame(nil), f.frames...)
}

// WaitFrames waits until n frames match: direction, op, and (when not "")
// dispatch type; it returns the matching frames.
func (f *Server) WaitFrames(ctx context.Context, fromBot bool, op int, eventType string, n int) ([]Frame, error) {
	var out []Frame
	err := f.wait(ctx, fmt.Sprintf("%d frames op %d %s", n, op, eventType), func() bool {
		out = out[:0]
		for _, fr := range f.frames {
			if fr.FromBot == fromBot && fr.Op == op && (eventType == "" || fr.Type == eventType) {
				out = append(out, fr)
			}
		}
		return len(out) >= n
	})
	return out, err
}

// GatewayStats reports gateway counters.
func (f *Server) GatewayStats() GatewayStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := GatewayStats{Connections: f.gw.connections, Live: len(f.gw.conns), Identifies: f.gw.identifies,
		Resumes: f.gw.resumes, Handshakes: f.gw.handshakes}
	if s := f.gw.current; s != nil {
		st.SessionID, st.Seq = s.id, s.seq
	}
	return st
}

func (f *Server) sessionConnsLocked() []*wsConn {
	var out []*wsConn
	for c := range f.gw.conns {
		if c.sess != nil {
			out = append(out, c)
		}
	}
	return out
}

// Reconnect sends op 7 RECONNECT on every handshaken connection; the bot
// should reconnect and RESUME. It returns how many connections it told.
func (f *Server) Reconnect() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	conns := f.sessionConnsLocked()
	for _, c := range conns {
		f.sendLocked(c, 7, nil)
	}
	f.notifyLocked()
	return len(conns)
}

// InvalidateSession sends op 9 INVALID_SESSION with d = resumable on every
// handshaken connection. Not resumable forgets the session: events are no
// longer buffered for it and a RESUME gets op 9 again.
func (f *Server) InvalidateSession(resumable bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	conns := f.sessionConnsLocked()
	for _, c := range conns {
		if !resumable {
			c.sess.valid = false
		}
		c.invalidated = true
		f.sendLocked(c, 9, resumable)
	}
	f.notifyLocked()
	return len(conns)
}

// DropGateway cuts every gateway connection at the TCP level with no close
// frame. Sessions stay resumable.
func (f *Server) DropGateway() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	conns := f.gw.liveConns()
	for _, c := range conns {
		f.recordFrameLocked(c.id, false, -1, "DROP", 0, nil)
		c.enqueue(outItem{drop: true})
	}
	return len(conns)
}

// CloseGateway closes every gateway connection with a close code (4000…
// 4014, or 1000/1001…). Sessions stay resumable, except after 4007 (invalid
// seq) and 4009 (session timed out), which Discord documents as "reconnect
// and start a new session" (topics/opcodes-and-status-codes#gateway-gateway-close-event-codes).
func (f *Server) CloseGateway(code int, reason string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	conns := f.gw.liveConns()
	for _, c := range conns {
		if (code == CloseInvalidSeq || code == CloseSessionTimedOut) && c.sess != nil {
			c.sess.valid = false
			c.sess.buf = nil
		}
		f.closeLocked(c, code, reason)
	}
	return len(conns)
}

// RejectHandshakes makes every later IDENTIFY and RESUME close the
// connection with code (e.g. 4004 Authentication failed); 0 stops it.
func (f *Server) RejectHandshakes(code int, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gw.rejectCode, f.gw.rejectReason = code, reason
}

// SetHeartbeatAcks turns heartbeat ACKs on or off. Without ACKs discordgo
// declares the connection dead after 5 heartbeat intervals and reconnects.
func (f *Server) SetHeartbeatAcks(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gw.noAck = !on
}
