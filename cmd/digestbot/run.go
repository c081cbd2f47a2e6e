package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/internal/app"
	"github.com/digestbot/digestbot/store"
)

func runCommand() command {
	return command{
		name: "run", args: "",
		summary: "Run the bot.\n\n" +
			"With a Discord token in the environment variable named by discord.token_env\n" +
			"(default DISCORD_TOKEN), connects to Discord, registers the slash commands and\n" +
			"answers them until SIGINT or SIGTERM.\n\n" +
			"Without one, runs the console: type slash commands such as `/search border police`,\n" +
			"`/date 2023-07` or `/help` and see the answers as Discord would show them;\n" +
			"`click N` presses a button, `select N` opens a menu entry. Reads standard input,\n" +
			"so it can be scripted; ends at end of input or on quit.\n" +
			"Either way it posts the scheduled digests and polls the feeds of corpus.feeds.\n" +
			"A bare `digestbot` runs this.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"run takes no arguments"}
			}
			return m.run(ctx)
		},
	}
}

// run is the run command: it opens the database and the index, builds the
// bot with its services, and serves the configured transport.
func (m *Main) run(ctx context.Context) (err error) {
	if err := m.config.needsToken(m.Getenv); err != nil {
		return err
	}
	db, ix, err := m.openSearch(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ix.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	svc, err := m.digestService(db)
	if err != nil {
		return err
	}
	now := func() time.Time { return m.Now().In(m.config.Location()) }
	// The scheduler posts through whichever transport runs; it is known only
	// below, so it posts through this indirection.
	poster := &app.LazyPoster{}
	srv := &services{db: db, ix: ix, svc: svc, poster: app.DigestPoster{To: poster}, runs: db, history: db, started: m.Now()}
	leave, err := m.joinCluster(srv)
	if err != nil {
		return err
	}
	defer leave()
	sched, err := srv.newScheduler(m, m.config)
	if err != nil {
		return err
	}
	srv.sched.Set(sched)
	srv.newSummaryWorker(m)
	token := m.config.Token(m.Getenv)
	deps := bot.Deps{
		Articles:     db,
		State:        srv.botState(m.logger),
		Search:       app.Search{Index: ix, Now: now},
		Summaries:    app.Summaries{Service: svc},
		Digests:      app.Digests{Service: svc, Sched: &srv.sched, Zone: m.config.Location(), Now: now},
		Log:          m.logger,
		Now:          m.Now,
		Location:     m.config.Location(),
		ManagerRoles: m.config.Discord.ManagerRoles,
	}
	// SIGHUP re-reads the configuration, as does `digestbot reload`.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				srv.sup.RequestReload()
			}
		}
	}()
	if token != "" || m.config.Discord.PublicKey != "" {
		deps.AllowedGuilds = m.config.Discord.AllowedGuilds
		return m.runDiscord(ctx, deps, srv, poster, token)
	}
	srv.setUpObservability(m, nil)
	b := bot.New(m.observed(deps, srv))
	con := &bot.Console{Bot: b, In: m.Stdin, Out: m.Stdout,
		UserID: "console", UserName: "you", GuildID: "console", ChannelID: "console",
		Permissions: bot.PermManageGuild}
	poster.Set(con)
	stopHTTP, err := srv.serveHTTP(ctx, m, nil)
	if err != nil {
		return err
	}
	defer stopHTTP()
	stop := srv.start(ctx, m)
	defer stop()
	m.logger.Info("console ready: type /help, /search WORDS, /date WHEN, /article ID; quit or end of input exits")
	return con.Run(ctx)
}

// observed adds command metrics to the bot's dependencies.
func (m *Main) observed(d bot.Deps, srv *services) bot.Deps {
	served := srv.metrics.Counter("digestbot_commands_total", "Requests answered, by command and outcome (ok, user_error, error).", "command", "outcome")
	latency := srv.metrics.Histogram("digestbot_command_duration_seconds", "Time to answer a request, by command.",
		[]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}, "command")
	d.Observe = func(name, outcome string, took time.Duration) {
		served.Inc(name, outcome)
		latency.Observe(took.Seconds(), name)
	}
	return d
}

// shutdownGrace bounds a graceful stop: interactions in flight finish,
// then the gateway and the database close.
const shutdownGrace = 10 * time.Second

// runDiscord serves Discord until ctx is cancelled (SIGINT/SIGTERM) or the
// transport gives up: over the gateway when there is a token, and over the
// HTTP interactions endpoint when there is a public key.
func (m *Main) runDiscord(ctx context.Context, deps bot.Deps, srv *services, poster *app.LazyPoster, token string) error {
	var gw gatewayConn
	srv.setUpObservability(m, func() (bool, time.Time) {
		if gw == nil || token == "" {
			return true, m.Now()
		}
		return gw.Connected()
	})
	rateLimits := srv.metrics.Counter("digestbot_discord_rate_limits_total", "429 answers from Discord.")
	rateWait := srv.metrics.Counter("digestbot_discord_rate_limit_wait_seconds_total", "Time Discord asked us to wait.")
	invalid := srv.metrics.Counter("digestbot_discord_invalid_requests_total",
		"Invalid requests (401, 403, 429 not of scope shared); Discord bans an IP at 10,000 in 10 minutes.", "status")
	b := bot.New(m.observed(deps, srv))
	opts := discord.Options{
		Token:      token,
		AppID:      m.config.Discord.ApplicationID,
		GuildIDs:   m.config.Discord.GuildIDs,
		APIURL:     m.config.Discord.APIURL,
		GatewayURL: m.config.Discord.GatewayURL,
		Log:        m.logger,
		Now:        m.Now,
		OnRateLimit: func(_ string, wait time.Duration) {
			rateLimits.Inc()
			rateWait.Add(wait.Seconds())
		},
	}
	opts.RESTLimits = discord.NewRESTLimits(0, func(status int) { invalid.Inc(strconv.Itoa(status)) })
	t, err := discord.New(b, opts)
	if err != nil {
		return err
	}
	gw = t
	srv.metrics.GaugeFunc("digestbot_discord_invalid_requests_10m", "Invalid requests in the last 10 minutes.", func() float64 {
		_, n := t.InvalidRequests()
		return float64(n)
	})
	srv.metrics.GaugeFunc("digestbot_discord_gateway_reconnects", "Gateway reconnections since start.", func() float64 { return float64(t.Reconnects()) })
	if token != "" {
		if gw, err = srv.openGateway(ctx, m, b, t, opts); err != nil {
			return err
		}
	}
	poster.Set(t)
	stopHTTP, err := srv.serveHTTP(ctx, m, t)
	if err != nil {
		return err
	}
	stop := srv.start(ctx, m)
	m.logger.Info("digestbot running on Discord; SIGINT or SIGTERM stops it")
	var fatal error
	select {
	case <-ctx.Done():
	case fatal = <-gw.Fatal():
	}
	m.logger.Info("shutting down")
	stop() // the scheduler and rescan first: no post starts on a closing gateway
	stopHTTP()
	closeCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = gw.Close(closeCtx)
	if fatal != nil {
		return fatal
	}
	return err
}

// rescanner rescans the corpus folders every bot.rescan_interval (never
// without folders), calling catchUp after a scan that stored something.
func (m *Main) rescanner(catchUp func(context.Context) error) app.Rescan {
	every := m.config.Bot.RescanInterval
	if len(m.config.Corpus.Folders) == 0 {
		every = 0
	}
	return app.Rescan{Every: every, CatchUp: catchUp, Log: m.logger,
		Load: func(ctx context.Context) (added, updated int, err error) {
			files, _ := m.defaultFiles()
			sum, err := m.ingest(ctx, files, nil, io.Discard, false)
			if errors.Is(err, errRejected) { // files refused are logged as they are read
				err = nil
			}
			return sum[store.Added], sum[store.Updated], err
		}}
}
