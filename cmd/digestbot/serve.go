package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/cluster"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/observe"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// services are what runs beside a transport: the digest scheduler (which a
// reload replaces), the corpus rescan, and what health checks and metrics
// read.
type services struct {
	db      *store.DB
	ix      *search.Index
	svc     *digest.Service
	poster  digest.Poster
	runs    digest.RunLog // the store, or etcd in a cluster
	history runHistory    // likewise
	node    *cluster.Node // nil when not in a cluster
	sched   schedHolder
	metrics *observe.Registry
	health  *observe.Health
	started time.Time
	reload  chan struct{} // a reload request (SIGHUP, /-/reload)
	feeds   feedRunner    // the feeds polled (feeds.go)
}

// schedHolder holds the running scheduler; a reload swaps it.
type schedHolder struct {
	mu    sync.Mutex
	s     *digest.Scheduler
	alive atomic.Bool // its Run loop is running
}

func (h *schedHolder) get() *digest.Scheduler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s
}

func (h *schedHolder) set(s *digest.Scheduler) {
	h.mu.Lock()
	h.s = s
	h.mu.Unlock()
}

// newScheduler builds a scheduler for the digests of cfg.
func (s *services) newScheduler(m *Main, cfg Config) (*digest.Scheduler, error) {
	var clock digest.Clock = clockFunc(m.Now)
	if m.clock != nil {
		clock = m.clock
	}
	return digest.NewScheduler(cfg.DigestJobs(), s.svc, s.runs, s.poster, clock, m.logger)
}

// start runs the scheduler and the rescan until the returned stop is
// called (or ctx ends); stop waits for both. A reload request re-reads the
// configuration: valid new digests replace the running ones without a
// restart; an invalid file is refused and the old configuration kept.
func (s *services) start(ctx context.Context, m *Main) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for {
			sched := s.sched.get()
			runCtx, stopRun := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.sched.alive.Store(true)
				defer s.sched.alive.Store(false)
				if err := s.runSchedules(runCtx, sched); err != nil && runCtx.Err() == nil {
					m.logger.Error("digest scheduler stopped", "error", err)
				}
			}()
			next := s.awaitReload(ctx, m)
			stopRun()
			<-done
			if next == nil {
				return
			}
			s.sched.set(next)
		}
	}()
	go func() {
		defer wg.Done()
		m.rescan(ctx, s.db, s.ix)
	}()
	go func() {
		defer wg.Done()
		s.pollFeeds(ctx, m)
	}()
	return func() { cancel(); wg.Wait() }
}

// awaitReload waits for a reload request that yields a valid new
// scheduler, or returns nil when ctx ends.
func (s *services) awaitReload(ctx context.Context, m *Main) *digest.Scheduler {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.reload:
			if next := s.reloaded(m); next != nil {
				return next
			}
		}
	}
}

// reloaded re-reads the configuration file and returns the scheduler for
// its digests, or nil (logged) when the file is invalid.
func (s *services) reloaded(m *Main) *digest.Scheduler {
	if m.configPath == "" {
		m.logger.Warn("reload: no configuration file to re-read")
		return nil
	}
	cfg, err := LoadConfig(m.configPath, m.Getenv)
	if err != nil {
		m.logger.Error("reload refused; keeping the running configuration", "config", m.configPath, "error", err)
		return nil
	}
	next, err := s.newScheduler(m, cfg)
	if err != nil {
		m.logger.Error("reload refused; keeping the running configuration", "config", m.configPath, "error", err)
		return nil
	}
	m.level.Set(cfg.LogLevel())
	s.feeds.reload(cfg.FeedSources())
	m.logger.Info("configuration reloaded", "config", m.configPath, "digests", len(cfg.DigestJobs()))
	return next
}

// requestReload asks start's loop to reload, without blocking.
func (s *services) requestReload() {
	select {
	case s.reload <- struct{}{}:
	default:
	}
}

// overdueGrace is how late a digest may be before /healthz fails.
const overdueGrace = 10 * time.Minute

// setUpObservability registers the metrics and health checks. gateway
// reports the Discord connection, nil without one.
func (s *services) setUpObservability(m *Main, gateway func() (bool, time.Time)) {
	s.metrics = observe.NewRegistry()
	s.health = &observe.Health{}
	reg := s.metrics
	reg.GaugeFunc("digestbot_articles", "Articles stored.", func() float64 {
		n, _ := s.db.Count(context.Background())
		return float64(n)
	})
	reg.GaugeFunc("digestbot_uptime_seconds", "Seconds since the bot started.", func() float64 {
		return m.Now().Sub(s.started).Seconds() // started is from m.Now too
	})
	lastOK := reg.Gauge("digestbot_digest_last_success_timestamp_seconds", "When each digest last posted (or had nothing to post).", "digest")
	nextRun := reg.Gauge("digestbot_digest_next_run_timestamp_seconds", "When each digest runs next.", "digest")
	failed := reg.Gauge("digestbot_digest_failed_runs", "Runs of each digest that could not be delivered, among those kept.", "digest")
	reg.OnScrape(func() {
		if !s.recordsReadable() {
			return
		}
		ctx := context.Background()
		for _, j := range s.sched.get().Jobs() {
			name := j.Spec.Name
			if next := j.Schedule.Next(m.Now(), 1); len(next) == 1 {
				nextRun.Set(float64(next[0].Unix()), name)
			}
			runs, err := s.runHistory().Runs(ctx, name)
			if err != nil {
				continue
			}
			var last time.Time
			nFailed := 0
			for _, r := range runs {
				switch r.State {
				case store.RunDone:
					if r.Updated.After(last) {
						last = r.Updated
					}
				case store.RunFailed:
					nFailed++
				}
			}
			if !last.IsZero() {
				lastOK.Set(float64(last.Unix()), name)
			}
			failed.Set(float64(nFailed), name)
		}
	})

	s.observeFeeds(m)
	s.health.Add("store", func(ctx context.Context) error {
		_, err := s.db.Empty(ctx)
		return err
	})
	// A rebuild is reported, not failed: a restart would only start it
	// over.
	s.health.AddWarning("search", func(context.Context) error {
		if s.ix == nil {
			return nil
		}
		if p, busy := s.ix.Busy(); busy {
			return fmt.Errorf("rebuilding the search index (%s): %d of %d articles; searches wait for it", p.Reason, p.Done, p.Total)
		}
		return nil
	})
	if gateway != nil {
		s.health.Add("gateway", func(context.Context) error {
			up, since := gateway()
			if down := m.Now().Sub(since); !up && down > time.Minute {
				return fmt.Errorf("disconnected for %s", down.Round(time.Second))
			}
			return nil
		})
	}
	s.observeCluster()
	s.health.Add("scheduler", func(context.Context) error {
		if !s.sched.alive.Load() {
			return errors.New("the digest scheduler is not running")
		}
		return nil
	})
	s.health.Add("digests", func(ctx context.Context) error {
		if !s.recordsReadable() {
			return nil // the cluster check says why
		}
		var late []error
		now := m.Now()
		for _, j := range s.sched.get().Jobs() {
			if err := s.overdue(ctx, j, now); err != nil {
				late = append(late, err)
			}
		}
		return errors.Join(late...)
	})
}

// overdue reports a digest whose latest slot since the bot started, more
// than overdueGrace ago, has no run recorded: the silent stop.
func (s *services) overdue(ctx context.Context, j digest.Job, now time.Time) error {
	var due time.Time
	for _, t := range j.Schedule.Next(s.started, 1000) {
		if t.After(now.Add(-overdueGrace)) {
			break
		}
		due = t
	}
	if due.IsZero() {
		return nil
	}
	slot := due.In(j.Schedule.Zone()).Format("2006-01-02T15:04")
	runs, err := s.runHistory().Runs(ctx, j.Spec.Name)
	if err != nil {
		return fmt.Errorf("digest %s: %w", j.Spec.Name, err)
	}
	if len(runs) == 0 || runs[len(runs)-1].Slot < slot {
		return fmt.Errorf("digest %s overdue: due %s, not run", j.Spec.Name, due.In(j.Schedule.Zone()).Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// serveHTTP serves /healthz, /metrics, the admin endpoints /-/reload and
// /-/backup (see adminRoutes) and, with a public key, the interactions
// endpoint, until ctx ends.
func (s *services) serveHTTP(ctx context.Context, m *Main, tr *discord.Transport) (stop func(), err error) {
	if m.config.HTTP.Listen == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.health.Handler())
	mux.Handle("GET /metrics", s.metrics.Handler())
	removeToken, err := s.adminRoutes(mux, m)
	if err != nil {
		return nil, err
	}
	if m.config.Discord.PublicKey != "" && tr != nil {
		key, err := discord.ParsePublicKey(m.config.Discord.PublicKey)
		if err != nil {
			removeToken()
			return nil, err
		}
		mux.Handle("POST /interactions", tr.InteractionsHandler(key, time.Now))
	}
	ln, err := net.Listen("tcp", m.config.HTTP.Listen)
	if err != nil {
		removeToken()
		return nil, fmt.Errorf("http.listen %s: %w", m.config.HTTP.Listen, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.logger.Error("http server stopped", "error", err)
		}
	}()
	m.logger.Info("http server listening", "addr", ln.Addr().String(), "interactions", m.config.Discord.PublicKey != "")
	return func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		<-done
		removeToken()
	}, nil
}
