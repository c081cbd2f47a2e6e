package discord

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
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

// onDisconnect starts reconnecting, unless we are closing. discordgo's own
// reconnect loop is off: it retries forever, even after Discord rejected
// the token, and cannot be stopped once running.
func (t *Transport) onDisconnect(_ *discordgo.Session, _ *discordgo.Disconnect) {
	t.gw.set(false, t.opts.Now())
	if t.ctx.Err() != nil || !t.gw.reconnecting.CompareAndSwap(false, true) {
		return
	}
	t.log.Warn("discord gateway disconnected; reconnecting")
	go func() {
		defer t.gw.reconnecting.Store(false)
		t.reconnect(t.ctx)
	}()
}

// reconnect reopens the gateway with capped exponential backoff until it
// succeeds, ctx ends, or Discord says retrying is pointless.
func (t *Transport) reconnect(ctx context.Context) {
	wait := t.opts.ReconnectMin
	for attempt := 1; ; attempt++ {
		if sleep(ctx, wait) != nil {
			return
		}
		err := t.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			// Mark it here, not only in the READY/RESUMED handlers:
			// discordgo runs handlers on goroutines, so those may run after
			// later events have been answered.
			t.gw.set(true, t.opts.Now())
			t.gw.reconnects.Add(1)
			t.log.Info("discord gateway reconnected", "attempts", attempt)
			return
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if why, ok := fatalCloseCodes[ce.Code]; ok {
				t.giveUp(fmt.Errorf("discord closed the gateway with code %d: %s", ce.Code, why))
				return
			}
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
