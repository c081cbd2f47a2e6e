package fakediscord_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/digestbot/digestbot/internal/fakediscord"
)

// rawConn is a bare gateway client: each test does exactly what the
// documented rule under test needs.
type rawConn struct {
	t  *testing.T
	ws *websocket.Conn
}

type rawFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
}

func dialRaw(t *testing.T, f *fakediscord.Server, url string) *rawConn {
	t.Helper()
	ws, _, err := f.Dialer().Dial(url+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	c := &rawConn{t: t, ws: ws}
	if fr := c.next(); fr.Op != 10 {
		t.Fatalf("first frame op %d, want HELLO", fr.Op)
	}
	return c
}

func (c *rawConn) send(op int, d any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		c.t.Fatal(err)
	}
}

// next reads one frame; a close frame comes back as op -1 with the code
// in S.
func (c *rawConn) next() rawFrame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var fr rawFrame
	_, data, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return rawFrame{Op: -1, S: int64(ce.Code)}
	}
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	if err := json.Unmarshal(data, &fr); err != nil {
		c.t.Fatal(err)
	}
	return fr
}

// until reads frames until one with op (and, for dispatches, type).
func (c *rawConn) until(op int, typ string) rawFrame {
	c.t.Helper()
	for {
		fr := c.next()
		if fr.Op == op && (typ == "" || fr.T == typ) {
			return fr
		}
		if fr.Op == -1 {
			c.t.Fatalf("connection closed with %d waiting for op %d %s", fr.S, op, typ)
		}
	}
}

type ready struct {
	SessionID        string `json:"session_id"`
	ResumeGatewayURL string `json:"resume_gateway_url"`
}

func identifyRaw(c *rawConn) (ready, int64) {
	c.t.Helper()
	c.send(2, map[string]any{"token": "tok", "intents": 1, "properties": map[string]string{"os": "linux"}})
	fr := c.until(0, "READY")
	var r ready
	json.Unmarshal(fr.D, &r)
	return r, fr.S
}

func resumeRaw(c *rawConn, r ready, seq int64) {
	c.send(6, map[string]any{"token": "tok", "session_id": r.SessionID, "seq": seq})
}

// topics/gateway#ready-event, #initiating-a-disconnect and
// #preparing-to-resume: a session closed by the client with 1000/1001 is
// gone; with another code it resumes, on resume_gateway_url only.
func TestGatewayResumeRules(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fakediscord.Options{TolerateViolations: true})
	c := dialRaw(t, f, f.GatewayURL())
	r, seq := identifyRaw(c)
	if r.ResumeGatewayURL == "" || strings.HasPrefix(r.ResumeGatewayURL, f.GatewayURL()) {
		t.Fatalf("resume_gateway_url %q: want one different from the connect URL %s", r.ResumeGatewayURL, f.GatewayURL())
	}

	// Closed with 4000: resumable, on the resume URL.
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, ""), time.Now().Add(time.Second))
	c.ws.Close()
	c = dialRaw(t, f, r.ResumeGatewayURL)
	resumeRaw(c, r, seq)
	c.until(0, "RESUMED")
	if v := f.Violations(); len(v) != 0 {
		t.Fatalf("violations after a correct resume: %v", v)
	}

	// Dropped, then resumed on the connect URL: refused, and recorded.
	c.ws.Close()
	c = dialRaw(t, f, f.GatewayURL())
	resumeRaw(c, r, seq)
	if fr := c.until(9, ""); string(fr.D) != "false" {
		t.Errorf("RESUME on the connect URL: op 9 d=%s, want false", fr.D)
	}
	if v := f.Violations(); len(v) != 1 || v[0].Rule != "gateway#preparing-to-resume" {
		t.Errorf("violations: %v", v)
	}
	// A handshake on the connection that got op 9: closed.
	c.send(2, map[string]any{"token": "tok", "intents": 1})
	if fr := c.until(-1, ""); fr.S != fakediscord.CloseUnknownError {
		t.Errorf("IDENTIFY after op 9 on the same connection: closed with %d", fr.S)
	}

	// The session survives that; closed with 1000 it does not.
	c = dialRaw(t, f, r.ResumeGatewayURL)
	resumeRaw(c, r, seq)
	c.until(0, "RESUMED")
	for _, code := range []int{websocket.CloseNormalClosure, websocket.CloseGoingAway} {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		c.until(-1, "")
		c.ws.Close()
		c = dialRaw(t, f, r.ResumeGatewayURL)
		resumeRaw(c, r, seq)
		if fr := c.until(9, ""); string(fr.D) != "false" {
			t.Errorf("RESUME after the client closed with %d: op 9 d=%s, want false", code, fr.D)
		}
		c.ws.Close()
		c = dialRaw(t, f, f.GatewayURL())
		r, seq = identifyRaw(c)
	}
}

// topics/gateway#heartbeat-interval: the first heartbeat waits interval ×
// a random jitter; sending it at once every time is recorded.
func TestFirstHeartbeatJitter(t *testing.T) {
	t.Parallel()
	// A 10 s interval: "at once" (under 1%) is anything under 100 ms.
	f := fakediscord.StartT(t, fakediscord.Options{HeartbeatInterval: 10 * time.Second, TolerateViolations: true})
	for i := range 3 {
		c := dialRaw(t, f, f.GatewayURL())
		c.send(1, nil)
		c.until(11, "")
		c.ws.Close()
		if v := f.Violations(); (i < 2) != (len(v) == 0) {
			t.Fatalf("after %d immediate first heartbeats: violations %v", i+1, v)
		}
	}
	jit := f.HeartbeatJitters()
	c := dialRaw(t, f, f.GatewayURL())
	time.Sleep(300 * time.Millisecond)
	c.send(1, nil)
	c.until(11, "")
	if j := f.HeartbeatJitters(); len(j) != len(jit)+1 || j[len(j)-1] < 0.03 || j[len(j)-1] > 1 {
		t.Errorf("jitters %v: want a last one of 0.03 or more", j)
	}
}

// Without heartbeat ACKs the fake answers nothing to a heartbeat.
func TestMissingHeartbeatAcks(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fakediscord.Options{HeartbeatInterval: 100 * time.Millisecond})
	c := dialRaw(t, f, f.GatewayURL())
	identifyRaw(c)
	f.SetHeartbeatAcks(false)
	c.send(1, nil)
	if _, err := f.Dispatch(testCtx(t), "TYPING_START", map[string]any{"channel_id": fakediscord.DefaultChannelID}); err != nil {
		t.Fatal(err)
	}
	for fr := c.next(); fr.T != "TYPING_START"; fr = c.next() {
		if fr.Op == 11 {
			t.Fatal("heartbeat ACKed with ACKs off")
		}
	}
}

// RejectHandshakes closes every handshake with the code given.
func TestRejectedHandshakes(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	f.RejectHandshakes(fakediscord.CloseAuthenticationFailed, "Authentication failed.")
	c := dialRaw(t, f, f.GatewayURL())
	c.send(2, map[string]any{"token": "tok", "intents": 1})
	if fr := c.until(-1, ""); fr.S != fakediscord.CloseAuthenticationFailed {
		t.Errorf("closed with %d, want 4004", fr.S)
	}
	f.RejectHandshakes(0, "")
	identifyRaw(dialRaw(t, f, f.GatewayURL()))
}

// discordgo v0.29.0 departs from the documented gateway rules: after a
// drop it resumes on the connect URL (and after the refusal identifies on
// the same connection). The fake catches it.
func TestDiscordgoGatewayDeparturesCaught(t *testing.T) {
	t.Parallel()
	opts := fastOpts()
	opts.TolerateViolations = true
	f := fakediscord.StartT(t, opts)
	s := session(t, f, "tok")
	open(t, f, s)
	ctx := testCtx(t)
	f.DropGateway()
	if _, err := f.WaitFrames(ctx, true, 6, "", 1); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for range 100 {
		for _, v := range f.Violations() {
			rules[v.Rule] = true
		}
		if rules["gateway#preparing-to-resume"] && rules["gateway#resuming"] {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("violations caught: %v; want a resume on the connect URL and an identify after op 9", rules)
}

// topics/gateway#heartbeat-interval: a connection whose heartbeats stop is
// closed, and its session resumed.
func TestSilentConnectionClosed(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fakediscord.Options{HeartbeatInterval: 100 * time.Millisecond})
	c := dialRaw(t, f, f.GatewayURL())
	r, seq := identifyRaw(c)
	began := time.Now()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != fakediscord.CloseUnknownError {
				t.Errorf("closed with %d, want 4000", ce.Code)
			}
			break
		}
		if err != nil {
			t.Fatalf("no close after the heartbeats stopped: %v", err)
		}
	}
	if waited := time.Since(began); waited < 2200*time.Millisecond {
		t.Errorf("closed after %v, before the interval and its slack", waited)
	}
	c = dialRaw(t, f, r.ResumeGatewayURL)
	resumeRaw(c, r, seq)
	c.until(0, "RESUMED")
}

// A client killed mid-body made no API call: the request is recorded as
// cut, and RequestsTo leaves it out.
func TestCutRequestNotAnAPICall(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	conn, err := net.Dial("tcp4", strings.TrimPrefix(f.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v10/channels/%s/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"content\":", fakediscord.DefaultChannelID)
	conn.Close()
	ctx := testCtx(t)
	for len(f.Requests()) == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].Fault != "cut" {
		t.Fatalf("requests %+v, want one cut", reqs)
	}
	if got := f.RequestsTo("POST /channels/*/messages"); len(got) != 0 {
		t.Errorf("RequestsTo lists a cut request: %+v", got)
	}
}
