package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/cluster"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/app"
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
	runs    digest.RunLog  // the store, or etcd in a cluster
	history app.RunHistory // likewise
	node    *cluster.Node  // nil when not in a cluster
	sched   app.SchedulerSlot
	sup     app.Supervisor // runs sched, swapping it on reloads
	metrics *observe.Registry
	health  *observe.Health
	started time.Time
	feeds   *app.Feeds // the feeds polled (feeds.go); nil before setUpObservability
	ahead   *app.SummaryWorker
}

// newSummaryWorker sets up the worker that makes the summaries of new
// articles in the background, with the options of the running digests.
func (s *services) newSummaryWorker(m *Main) {
	s.ahead = &app.SummaryWorker{Service: s.svc, Options: s.sched.SummaryOptions, Clock: m.digestClock(), Log: m.logger}
}

// stored runs after the running bot stored articles: the search index
// catches up, and the summary worker is told.
func (s *services) stored(ctx context.Context) error {
	if s.ahead != nil {
		s.ahead.Kick()
	}
	return s.ix.CatchUp(ctx)
}

// newScheduler builds a scheduler for the digests of cfg.
func (s *services) newScheduler(m *Main, cfg Config) (*digest.Scheduler, error) {
	return digest.NewScheduler(cfg.DigestJobs(), s.svc, s.runs, s.poster, m.digestClock(), m.logger)
}

// digestClock is the clock of the scheduler and the summary worker.
func (m *Main) digestClock() digest.Clock {
	if m.clock != nil {
		return m.clock
	}
	return app.ClockFunc(m.Now)
}

// start runs the scheduler (replaced on each accepted reload), the
// rescan and the feed polls until the returned stop is called (or ctx
// ends); stop waits for them all. A reload request re-reads the
// configuration: valid new digests replace the running ones without a
// restart; an invalid file is refused and the old configuration kept.
func (s *services) start(ctx context.Context, m *Main) (stop func()) {
	s.sup.Sched = &s.sched
	s.sup.Run = s.runSchedules
	s.sup.Reload = func() *digest.Scheduler { return s.reloaded(m) }
	s.sup.Log = m.logger
	loops := []func(context.Context){s.sup.Supervise, m.rescanner(s.stored).Run,
		func(ctx context.Context) { s.pollFeeds(ctx, m) }}
	if s.ahead != nil {
		loops = append(loops, s.ahead.Run)
	}
	return app.Start(ctx, loops...)
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
	s.feeds.Reload(cfg.FeedSources())
	m.logger.Info("configuration reloaded", "config", m.configPath, "digests", len(cfg.DigestJobs()))
	return next
}

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
		for _, j := range s.sched.Get().Jobs() {
			name := j.Spec.Name
			if next := j.Schedule.Next(m.Now(), 1); len(next) == 1 {
				nextRun.Set(float64(next[0].Unix()), name)
			}
			runs, err := s.runHistory().Runs(ctx, name)
			if err != nil {
				continue
			}
			st := app.Stats(runs)
			if !st.LastOK.IsZero() {
				lastOK.Set(float64(st.LastOK.Unix()), name)
			}
			failed.Set(float64(st.Failed), name)
		}
	})

	s.observeSummaries()
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
		if !s.sched.Alive() {
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
		for _, j := range s.sched.Get().Jobs() {
			if err := app.Overdue(ctx, s.runHistory(), j, s.started, now); err != nil {
				late = append(late, err)
			}
		}
		return errors.Join(late...)
	})
}

// observeSummaries adds the summary worker's gauges to the metrics.
func (s *services) observeSummaries() {
	if s.ahead == nil {
		return
	}
	progress := func(f func(app.SummaryProgress) float64) func() float64 {
		return func() float64 { return f(s.ahead.Progress()) }
	}
	s.metrics.GaugeFunc("digestbot_summaries_pending", "New articles the background worker has yet to summarise in its current round.",
		progress(func(p app.SummaryProgress) float64 { return float64(p.Pending) }))
	s.metrics.GaugeFunc("digestbot_summaries_made_ahead", "Summaries the background worker made since the bot started.",
		progress(func(p app.SummaryProgress) float64 { return float64(p.Made) }))
	s.metrics.GaugeFunc("digestbot_summaries_last_round_timestamp_seconds", "When the background worker last finished a round (0: not yet).",
		progress(func(p app.SummaryProgress) float64 {
			if p.LastRound.IsZero() {
				return 0
			}
			return float64(p.LastRound.Unix())
		}))
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
