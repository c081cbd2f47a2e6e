package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway close codes after which reconnecting cannot help: a bad token,
// an invalid shard or intents the application may not use.
var fatalCloseCodes = map[int]string{
	4004: "authentication failed: the bot token is wrong or was reset",
	4010: "invalid shard",
	4011: "sharding required",
	4012: "invalid gateway API version",
	4013: "invalid intents",
	4014: "disallowed intents: enable them in the developer portal",
}

// gatewayState tracks the connection for health checks and reconnects.
type gatewayState struct {
	connected    atomic.Bool
	since        atomic.Int64 // unix nanoseconds of the last change
	reconnecting atomic.Bool
	reconnects   atomic.Int64
	fatal        chan error // receives once, when reconnecting is hopeless
	fatalOnce    atomic.Bool
}

func (g *gatewayState) set(up bool, now time.Time) {
	g.connected.Store(up)
	g.since.Store(now.UnixNano())
}

// Connected reports whether the gateway is connected and since when it
// has been in that state.
func (t *Transport) Connected() (bool, time.Time) {
	return t.gw.connected.Load(), time.Unix(0, t.gw.since.Load())
}

// Reconnects counts the gateway reconnections since start.
func (t *Transport) Reconnects() int64 { return t.gw.reconnects.Load() }

// Fatal delivers the error that made the transport give up (a rejected
// token, say); the caller should stop.
func (t *Transport) Fatal() <-chan error { return t.gw.fatal }

// gateway is the connection to Discord's gateway and the session it
// resumes. One gateway is one shard (ShardID of ShardCount).
type gateway struct {
	token               string
	intents             int
	shardID, shardCount int
	dialer              *websocket.Dialer
	jitter              func() float64 // in [0, 1): the first heartbeat's delay
	gatewayURL          func(context.Context) (string, error)
	events              gatewayEvents

	mu         sync.Mutex
	connectURL string // from GET /gateway, cached
	sess       gwSession
	conn       *gwConn
}

// gatewayEvents is what the gateway tells its owner.
type gatewayEvents interface {
	gatewayReady(data json.RawMessage)
	gatewayEvent(name string, data json.RawMessage)
	// disconnected: an established connection ended; reconnect.
	disconnected(why error)
}

// disconnected starts reconnecting, unless we are closing or the close
// code says reconnecting cannot help.
func (t *Transport) disconnected(why error) {
	t.gw.set(false, t.opts.Now())
	if t.ctx.Err() != nil {
		return
	}
	if err := fatalClose(why); err != nil {
		t.giveUp(err)
		return
	}
	if !t.gw.reconnecting.CompareAndSwap(false, true) {
		return
	}
	t.log.Warn("discord gateway disconnected; reconnecting", "reason", why)
	go func() {
		defer t.gw.reconnecting.Store(false)
		t.reconnect(t.ctx)
	}()
}

// fatalClose returns the error to give up with when err is a close code
// after which reconnecting cannot help.
func fatalClose(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if why, ok := fatalCloseCodes[ce.Code]; ok {
			return fmt.Errorf("discord closed the gateway with code %d: %s", ce.Code, why)
		}
	}
	return nil
}

// reconnect reopens the gateway with capped exponential backoff until it
// succeeds, ctx ends, or Discord says retrying is pointless.
func (t *Transport) reconnect(ctx context.Context) {
	wait := t.opts.ReconnectMin
	for attempt := 1; ; attempt++ {
		if sleep(ctx, wait) != nil {
			return
		}
		err := t.conn.connect(ctx)
		if err == nil {
			t.gw.set(true, t.opts.Now())
			t.gw.reconnects.Add(1)
			t.log.Info("discord gateway reconnected", "attempts", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if fatal := fatalClose(err); fatal != nil {
			t.giveUp(fatal)
			return
		}
		t.log.Warn("discord gateway reconnect failed", "attempt", attempt, "retry_in", wait, "error", err)
		wait = min(wait*2, t.opts.ReconnectMax)
	}
}

func (t *Transport) giveUp(err error) {
	t.log.Error("discord: giving up", "error", err)
	if t.gw.fatalOnce.CompareAndSwap(false, true) {
		t.gw.fatal <- err
	}
}
