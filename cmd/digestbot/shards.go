package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
)

// gatewayConn is the gateway side of a running bot: the transport itself,
// or in a cluster the shards this replica holds.
type gatewayConn interface {
	Connected() (bool, time.Time)
	Fatal() <-chan error
	Close(ctx context.Context) error
}

// openGateway connects to the gateway: alone, t itself; in a cluster, the
// shards the replicas share through etcd, each a transport of its own
// made from opts (t then serves REST only: posts, the interactions
// endpoint).
func (s *services) openGateway(ctx context.Context, m *Main, b *bot.Bot, t *discord.Transport, opts discord.Options) (gatewayConn, error) {
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if s.node == nil {
		if err := t.Open(openCtx); err != nil {
			return nil, err
		}
		return t, nil
	}
	count, mc, err := t.GatewayBot(openCtx)
	if err != nil {
		return nil, err
	}
	if n := m.config.ShardCount(); n > 0 {
		count = n
	}
	h := &shardHost{b: b, opts: opts, log: m.logger, primary: t, open: map[int]*discord.Transport{},
		fatal: make(chan error, 1), done: make(chan struct{})}
	runCtx, stop := context.WithCancel(context.Background())
	h.stop = stop
	go func() {
		defer close(h.done)
		_ = s.node.RunShards(runCtx, count, mc, h)
	}()
	s.metrics.GaugeFunc("digestbot_discord_shards_held", "Gateway shards this replica holds.", func() float64 { return float64(h.held()) })
	m.logger.Info("sharing the gateway shards with the other replicas", "shards", count, "max_concurrency", mc)
	return h, nil
}

// shardHost opens the shards this replica claims, each a transport.
type shardHost struct {
	b       *bot.Bot
	opts    discord.Options
	log     *slog.Logger
	primary *discord.Transport
	stop    context.CancelFunc
	done    chan struct{}
	fatal   chan error

	mu   sync.Mutex
	open map[int]*discord.Transport
}

func (h *shardHost) OpenShard(ctx context.Context, id, count int) error {
	o := h.opts
	o.ShardID, o.ShardCount = id, count
	o.Log = h.log.With("shard", id)
	t, err := discord.New(h.b, o)
	if err != nil {
		return err
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := t.Open(openCtx); err != nil {
		_ = t.Close(context.Background())
		return err
	}
	h.mu.Lock()
	h.open[id] = t
	h.mu.Unlock()
	go func() {
		if err, ok := <-t.Fatal(); ok {
			select {
			case h.fatal <- fmt.Errorf("shard %d: %w", id, err):
			default:
			}
		}
	}()
	return nil
}

func (h *shardHost) CloseShard(id int) {
	h.mu.Lock()
	t := h.open[id]
	delete(h.open, id)
	h.mu.Unlock()
	if t != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = t.Close(ctx)
	}
}

func (h *shardHost) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.open)
}

// Connected reports the shards held connected (a replica holding none,
// a spare, is fine), and since when the first one that is not lost it.
func (h *shardHost) Connected() (bool, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.open {
		if up, since := t.Connected(); !up {
			return false, since
		}
	}
	return true, time.Now()
}

func (h *shardHost) Fatal() <-chan error { return h.fatal }

// Close closes the shards (their claims go with the replica's lease) and
// the REST transport.
func (h *shardHost) Close(ctx context.Context) error {
	h.stop()
	<-h.done
	return h.primary.Close(ctx)
}
