package fakediscord

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Frame is one gateway message, either way.
type Frame struct {
	Time    time.Time
	Conn    int  // connection number, from 1; 0 for a dispatch buffered while no connection was live
	FromBot bool // sent by the bot (else by the fake)
	Op      int
	Type    string // dispatch event name (op 0)
	Seq     int64  // dispatch sequence (op 0)
	Data    json.RawMessage
}

// Gateway close codes (Discord's).
const (
	CloseUnknownError         = 4000
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseInvalidShard         = 4010
	CloseAlreadyAuthenticated = 4005
	CloseInvalidSeq           = 4007
	CloseRateLimited          = 4008
	CloseSessionTimedOut      = 4009
	CloseInvalidIntents       = 4013
	CloseDisallowedIntents    = 4014
)

// GatewayStats counts gateway activity since Start.
type GatewayStats struct {
	Connections int // websocket connections accepted
	Live        int // connections open now
	Identifies  int // IDENTIFY received
	Resumes     int // RESUME received
	Handshakes  int // READY or RESUMED sent
	SessionID   string
	Seq         int64 // last sequence of the current session
}

type gatewayState struct {
	sessions                                     map[string]*session
	current                                      *session
	byShard                                      map[int]*session // sharded sessions by shard ID
	shardCount                                   int              // the count sharded sessions identified with
	conns                                        map[*wsConn]struct{}
	nextConn                                     int
	connections, identifies, resumes, handshakes int
	rejectCode                                   int
	rejectReason                                 string
	noAck                                        bool
	jitters                                      []float64 // first-heartbeat delay / interval, per connection
}

func newGatewayState() gatewayState {
	return gatewayState{sessions: map[string]*session{}, conns: map[*wsConn]struct{}{}, byShard: map[int]*session{}}
}

func (g *gatewayState) liveConns() []*wsConn {
	out := make([]*wsConn, 0, len(g.conns))
	for c := range g.conns {
		out = append(out, c)
	}
	return out
}

type session struct {
	shard *[2]int // [id, count] when the session identified as a shard
	id    string
	seq   int64
	buf   []bufferedDispatch
	conn  *wsConn
	valid bool
}

type bufferedDispatch struct {
	seq   int64
	typ   string
	frame []byte
	data  json.RawMessage
}

type wsConn struct {
	id          int
	ws          *websocket.Conn
	sess        *session // guarded by Server.mu
	compress    bool     // guarded by Server.mu
	invalidated bool     // op 9 sent: the client must reconnect (guarded by Server.mu)
	resumeURL   bool     // opened on the resume_gateway_url
	host        string   // the Host the client dialled, for resume_gateway_url
	hello       time.Time
	lastBeat    time.Time // real time of the last heartbeat; zero before the first
	// serverClosed: the fake sent a close frame (guarded by Server.mu); a
	// close frame from the client is then its echo.
	serverClosed bool
	readDone     chan struct{}
	stop         chan struct{}
	kick         chan struct{}
	qmu          sync.Mutex
	q            []outItem
}

type outItem struct {
	data      []byte
	compress  bool
	closeCode int
	closeText string
	drop      bool
}

func (c *wsConn) enqueue(it outItem) {
	c.qmu.Lock()
	c.q = append(c.q, it)
	c.qmu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func (f *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		http.Error(w, "fakediscord closed", http.StatusServiceUnavailable)
		return
	}
	f.wg.Add(1)
	f.mu.Unlock()
	defer f.wg.Done()
	if enc := r.URL.Query().Get("encoding"); enc != "" && enc != "json" {
		http.Error(w, "fakediscord speaks encoding=json only", http.StatusBadRequest)
		return
	}
	route := "GET /ws"
	if r.URL.Path == resumePath {
		route = "GET " + resumePath
	}
	rec := Request{Time: f.now(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Route: route, Status: http.StatusSwitchingProtocols}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		rec.Status, rec.Note = http.StatusBadRequest, "websocket upgrade failed: "+err.Error()
		f.record(&rec, rec.Status, time.Now())
		return
	}
	f.record(&rec, rec.Status, time.Now())
	c := &wsConn{ws: ws, readDone: make(chan struct{}), stop: make(chan struct{}), kick: make(chan struct{}, 1),
		resumeURL: r.URL.Path == resumePath, host: r.Host, hello: time.Now()}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		ws.Close()
		return
	}
	ws.SetCloseHandler(func(code int, text string) error {
		f.clientClosed(c, code, text)
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		return nil
	})
	f.gw.nextConn++
	c.id = f.gw.nextConn
	f.gw.conns[c] = struct{}{}
	f.gw.connections++
	f.wg.Add(2)
	go f.writeLoop(c)
	go f.watchHeartbeats(c)
	ms := f.opts.HeartbeatInterval.Milliseconds()
	f.sendLocked(c, 10, map[string]any{"heartbeat_interval": max(ms, 1), "_trace": []string{"fakediscord-gateway"}})
	f.notifyLocked()
	f.mu.Unlock()

	f.readLoop(c)

	f.mu.Lock()
	delete(f.gw.conns, c)
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	f.notifyLocked()
	f.mu.Unlock()
	close(c.stop)
	ws.Close()
}

func (f *Server) writeLoop(c *wsConn) {
	defer f.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		c.qmu.Lock()
		items := c.q
		c.q = nil
		c.qmu.Unlock()
		for _, it := range items {
			if err := f.write(c, it); err != nil {
				c.ws.NetConn().Close()
			}
		}
	}
}

func (f *Server) write(c *wsConn, it outItem) error {
	deadline := time.Now().Add(5 * time.Second)
	switch {
	case it.drop:
		return c.ws.NetConn().Close()
	case it.closeCode != 0:
		err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(it.closeCode, it.closeText), deadline)
		// Let the client read the close frame before the TCP close.
		t := time.NewTimer(time.Second)
		select {
		case <-c.readDone:
		case <-t.C:
		case <-f.done:
		}
		t.Stop()
		c.ws.NetConn().Close()
		return err
	}
	c.ws.SetWriteDeadline(deadline)
	if it.compress {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write(it.data)
		zw.Close()
		return c.ws.WriteMessage(websocket.BinaryMessage, b.Bytes())
	}
	return c.ws.WriteMessage(websocket.TextMessage, it.data)
}

func (f *Server) readLoop(c *wsConn) {
	defer close(c.readDone)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var p struct {
			Op *int            `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		f.mu.Lock()
		if err := json.Unmarshal(msg, &p); err != nil || p.Op == nil {
			f.recordFrameLocked(c.id, true, -1, "", 0, json.RawMessage(fmt.Sprintf("%q", msg)))
			f.closeLocked(c, CloseDecodeError, "Error while decoding payload.")
			f.mu.Unlock()
			continue
		}
		op := *p.Op
		f.recordFrameLocked(c.id, true, op, "", 0, p.D)
		switch op {
		case 1:
			f.heartbeatLocked(c)
			if !f.gw.noAck {
				f.sendLocked(c, 11, nil)
			}
		case 2:
			f.identifyLocked(c, p.D)
		case 6:
			f.resumeLocked(c, p.D)
		case 3, 4, 8:
			if c.sess == nil {
				f.closeLocked(c, CloseNotAuthenticated, "Not authenticated.")
			}
		default:
			f.closeLocked(c, CloseUnknownOpcode, "Unknown opcode.")
		}
		f.notifyLocked()
		f.mu.Unlock()
	}
}

func (f *Server) recordFrameLocked(conn int, fromBot bool, op int, typ string, seq int64, d json.RawMessage) {
	f.frames = append(f.frames, Frame{Time: f.now(), Conn: conn, FromBot: fromBot, Op: op, Type: typ, Seq: seq, Data: d})
}

// sendLocked sends a non-dispatch op.
func (f *Server) sendLocked(c *wsConn, op int, d any) {
	db, _ := json.Marshal(d)
	frame, _ := json.Marshal(map[string]any{"op": op, "d": json.RawMessage(db), "s": nil, "t": nil})
	f.recordFrameLocked(c.id, false, op, "", 0, db)
	c.enqueue(outItem{data: frame, compress: c.compress})
}

func (f *Server) closeLocked(c *wsConn, code int, reason string) {
	c.serverClosed = true
	f.recordFrameLocked(c.id, false, -1, "CLOSE", 0, json.RawMessage(fmt.Sprintf(`{"code":%d,"reason":%q}`, code, reason)))
	c.enqueue(outItem{closeCode: code, closeText: reason})
}

// dispatchLocked sends an op 0 event on a session, buffering it for
// RESUME; it returns the sequence number.
func (f *Server) dispatchLocked(s *session, typ string, d any) int64 {
	db, err := json.Marshal(d)
	if err != nil {
		db = []byte("null")
	}
	return f.dispatchRawLocked(s, typ, db)
}

// dispatchRawLocked is dispatchLocked with the data already encoded.
func (f *Server) dispatchRawLocked(s *session, typ string, db json.RawMessage) int64 {
	s.seq++
	frame := make([]byte, 0, len(db)+len(typ)+48)
	frame = append(frame, `{"op":0,"t":`...)
	frame = strconv.AppendQuote(frame, typ)
	frame = append(frame, `,"s":`...)
	frame = strconv.AppendInt(frame, s.seq, 10)
	frame = append(frame, `,"d":`...)
	frame = append(frame, db...)
	frame = append(frame, '}')
	s.buf = append(s.buf, bufferedDispatch{seq: s.seq, typ: typ, frame: frame, data: db})
	if over := len(s.buf) - f.opts.ReplayLimit; over > 0 {
		s.buf = append(s.buf[:0:0], s.buf[over:]...)
	}
	conn := 0
	if s.conn != nil {
		conn = s.conn.id
		s.conn.enqueue(outItem{data: frame, compress: s.conn.compress})
	}
	f.recordFrameLocked(conn, false, 0, typ, s.seq, db)
	return s.seq
}

func (f *Server) tokenOK(token string) bool {
	return f.opts.Token == "" || strings.TrimPrefix(token, "Bot ") == f.opts.Token
}

func (f *Server) identifyLocked(c *wsConn, d json.RawMessage) {
	var id struct {
		Token    string  `json:"token"`
		Compress bool    `json:"compress"`
		Shard    *[2]int `json:"shard"`
	}
	if err := json.Unmarshal(d, &id); err != nil {
		f.closeLocked(c, CloseDecodeError, "Error while decoding payload.")
		return
	}
	f.gw.identifies++
	if f.refuseAfterInvalidLocked(c, "IDENTIFY") {
		return
	}
	if f.gw.rejectCode != 0 {
		f.closeLocked(c, f.gw.rejectCode, f.gw.rejectReason)
		return
	}
	if !f.tokenOK(id.Token) {
		f.closeLocked(c, CloseAuthenticationFailed, "Authentication failed.")
		return
	}
	if c.sess != nil && c.sess.valid {
		f.closeLocked(c, CloseAlreadyAuthenticated, "Already authenticated.")
		return
	}
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	if sh := id.Shard; sh != nil && (sh[1] < 1 || sh[0] < 0 || sh[0] >= sh[1] ||
		f.gw.shardCount > 0 && len(f.gw.byShard) > 0 && sh[1] != f.gw.shardCount) {
		f.closeLocked(c, CloseInvalidShard, "Invalid shard.")
		return
	}
	var b [16]byte
	rand.Read(b[:])
	s := &session{id: hex.EncodeToString(b[:]), valid: true, conn: c, shard: id.Shard}
	f.gw.sessions[s.id] = s
	f.gw.current = s
	if id.Shard != nil {
		f.gw.byShard[id.Shard[0]], f.gw.shardCount = s, id.Shard[1]
	}
	c.sess, c.invalidated = s, false
	c.compress = id.Compress && f.opts.CompressPayloads
	var guilds []map[string]any
	var mine []Guild // the guilds of this shard (topics/gateway#sharding)
	for _, g := range f.opts.Guilds {
		if id.Shard == nil || ShardOf(g.ID, id.Shard[1]) == id.Shard[0] {
			guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
			mine = append(mine, g)
		}
	}
	ready := map[string]any{
		"v": 9, "user": f.botUser(), "guilds": guilds, "session_id": s.id, "session_type": "normal",
		"resume_gateway_url": "ws://" + c.host + resumePath, "application": map[string]any{"id": f.opts.ApplicationID, "flags": 0},
		"private_channels": []any{}, "relationships": []any{}, "presences": []any{},
		"geo_ordered_rtc_regions": []any{}, "_trace": []string{"fakediscord-gateway"},
	}
	if id.Shard != nil {
		ready["shard"] = id.Shard
	}
	f.dispatchLocked(s, "READY", ready)
	for _, g := range mine {
		f.dispatchLocked(s, "GUILD_CREATE", guildCreateJSON(g))
	}
	f.gw.handshakes++
}

// ShardOf is the shard of count that receives a guild's events:
// (guild_id >> 22) % count.
func ShardOf(guildID string, count int) int {
	id, _ := strconv.ParseUint(guildID, 10, 64)
	if count < 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// sessionForLocked is the session that receives events of guildID: the
// shard's when the bot identified with shards, else the latest.
func (f *Server) sessionForLocked(guildID string) *session {
	if f.gw.shardCount > 1 && guildID != "" {
		return f.gw.byShard[ShardOf(guildID, f.gw.shardCount)]
	}
	return f.gw.current
}

func guildCreateJSON(g Guild) map[string]any {
	return map[string]any{
		"id": g.ID, "name": g.Name, "unavailable": false, "owner_id": DefaultUserID, "preferred_locale": "en-US",
		"joined_at": "2023-01-01T00:00:00.000000+00:00", "large": false, "member_count": 2,
		"channels": guildChannelsJSON(g), "roles": guildRolesJSON(g), "members": []any{}, "voice_states": []any{},
		"presences": []any{}, "threads": []any{}, "emojis": []any{}, "stickers": []any{}, "features": []any{},
		"stage_instances": []any{}, "guild_scheduled_events": []any{},
	}
}

func (f *Server) resumeLocked(c *wsConn, d json.RawMessage) {
	var rp struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &rp); err != nil {
		f.closeLocked(c, CloseDecodeError, "Error while decoding payload.")
		return
	}
	f.gw.resumes++
	if f.refuseAfterInvalidLocked(c, "RESUME") {
		return
	}
	if f.gw.rejectCode != 0 {
		f.closeLocked(c, f.gw.rejectCode, f.gw.rejectReason)
		return
	}
	if !f.tokenOK(rp.Token) {
		f.closeLocked(c, CloseAuthenticationFailed, "Authentication failed.")
		return
	}
	s := f.gw.sessions[rp.SessionID]
	if !c.resumeURL {
		// topics/gateway#preparing-to-resume: "open a new connection using
		// resume_gateway_url rather than the URL used to initially
		// connect". The fake refuses a RESUME anywhere else (Discord only
		// disconnects such clients more often) so that the mistake shows.
		f.violateLocked("gateway#preparing-to-resume", fmt.Sprintf("RESUME on connection %d, opened on the connect URL, not on READY's resume_gateway_url", c.id))
		c.invalidated = true
		f.sendLocked(c, 9, false)
		return
	}
	replayable := s != nil && s.valid && rp.Seq <= s.seq &&
		(len(s.buf) == 0 && rp.Seq == s.seq || len(s.buf) > 0 && s.buf[0].seq <= rp.Seq+1)
	if !replayable {
		if s != nil {
			s.valid = false
		}
		c.invalidated = true
		f.sendLocked(c, 9, false)
		return
	}
	if old := s.conn; old != nil && old != c {
		old.sess = nil
		old.enqueue(outItem{drop: true})
	}
	c.sess, c.invalidated = s, false
	s.conn = c
	f.gw.current = s
	for _, b := range s.buf {
		if b.seq > rp.Seq {
			c.enqueue(outItem{data: b.frame, compress: c.compress})
			f.recordFrameLocked(c.id, false, 0, b.typ, b.seq, b.data)
		}
	}
	f.dispatchLocked(s, "RESUMED", map[string]any{"_trace": []string{"fakediscord-gateway"}})
	f.gw.handshakes++
}
