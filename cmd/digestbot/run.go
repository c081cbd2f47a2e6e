package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"sync"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/search"
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
			"A bare `digestbot` runs this.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"run takes no arguments"}
			}
			db, err := m.openDB(ctx, true)
			if err != nil {
				return err
			}
			ix, err := m.openIndex(ctx, db, false)
			if err != nil {
				return err
			}
			defer ix.Close()
			svc, err := digestService(db)
			if err != nil {
				return err
			}
			now := func() time.Time { return m.Now().In(m.config.Location()) }
			// The scheduler posts through whichever transport runs; it is
			// known only below, so it posts through this indirection.
			poster := &lazyPoster{}
			sched, err := digest.NewScheduler(m.config.DigestJobs(), svc, db, digestPoster{poster}, clockFunc(m.Now), m.logger)
			if err != nil {
				return err
			}
			b := bot.New(bot.Deps{
				Articles:     db,
				State:        db,
				Search:       botSearch{ix: ix, now: now},
				Summaries:    botSummaries{svc},
				Digests:      botDigests{svc: svc, sched: sched, loc: m.config.Location(), now: now},
				Log:          m.logger,
				Now:          m.Now,
				Location:     m.config.Location(),
				ManagerRoles: m.config.Discord.ManagerRoles,
			})
			srv := services{db: db, ix: ix, sched: sched}
			if token := m.config.Token(m.Getenv); token != "" {
				return m.runDiscord(ctx, b, srv, poster, token)
			}
			con := &bot.Console{Bot: b, In: m.Stdin, Out: m.Stdout,
				UserID: "console", UserName: "you", GuildID: "console", ChannelID: "console",
				Permissions: bot.PermManageGuild}
			poster.set(con)
			stop := srv.start(ctx, m)
			defer stop()
			m.logger.Info("console ready: type /help, /search WORDS, /date WHEN, /article ID; quit or end of input exits")
			return con.Run(ctx)
		},
	}
}

// services are what runs beside a transport: the digest scheduler and the
// corpus rescan.
type services struct {
	db    *store.DB
	ix    *search.Index
	sched *digest.Scheduler
}

// start runs the scheduler and the rescan until the returned stop is
// called (or ctx ends); stop waits for both.
func (s services) start(ctx context.Context, m *Main) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.sched.Run(ctx); err != nil && ctx.Err() == nil {
			m.logger.Error("digest scheduler stopped", "error", err)
		}
	}()
	go func() {
		defer wg.Done()
		m.rescan(ctx, s.db, s.ix)
	}()
	return func() { cancel(); wg.Wait() }
}

// lazyPoster forwards to the transport once it exists.
type lazyPoster struct {
	mu sync.Mutex
	to channelPoster
}

func (p *lazyPoster) set(to channelPoster) {
	p.mu.Lock()
	p.to = to
	p.mu.Unlock()
}

func (p *lazyPoster) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	p.mu.Lock()
	to := p.to
	p.mu.Unlock()
	if to == nil {
		return "", errors.New("no transport connected yet")
	}
	return to.Post(ctx, channel, m)
}

// shutdownGrace bounds a graceful stop: interactions in flight finish,
// then the gateway and the database close.
const shutdownGrace = 10 * time.Second

// runDiscord serves Discord until ctx is cancelled (SIGINT/SIGTERM) or the
// transport gives up.
func (m *Main) runDiscord(ctx context.Context, b *bot.Bot, srv services, poster *lazyPoster, token string) error {
	t, err := discord.New(b, discord.Options{
		Token:      token,
		AppID:      m.config.Discord.ApplicationID,
		GuildIDs:   m.config.Discord.GuildIDs,
		APIURL:     m.config.Discord.APIURL,
		GatewayURL: m.config.Discord.GatewayURL,
		Log:        m.logger,
	})
	if err != nil {
		return err
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = t.Open(openCtx)
	cancel()
	if err != nil {
		return err
	}
	poster.set(t)
	stop := srv.start(ctx, m)
	m.logger.Info("digestbot running on Discord; SIGINT or SIGTERM stops it")
	var fatal error
	select {
	case <-ctx.Done():
	case fatal = <-t.Fatal():
	}
	m.logger.Info("shutting down")
	stop() // the scheduler and rescan first: no post starts on a closing gateway
	closeCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = t.Close(closeCtx)
	if fatal != nil {
		return fatal
	}
	return err
}

// rescan loads new and changed files from the corpus folders every
// bot.rescan_interval until ctx is done, and brings the index up to date.
func (m *Main) rescan(ctx context.Context, db *store.DB, ix *search.Index) {
	every := m.config.Bot.RescanInterval
	if every <= 0 || len(m.config.Corpus.Folders) == 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		files, _ := m.defaultFiles()
		sum, err := m.ingest(ctx, files, nil, io.Discard, false)
		if err != nil && !errors.Is(err, errRejected) && ctx.Err() == nil {
			m.logger.Warn("rescan of the corpus folders", "error", err)
		}
		if n := sum[store.Added] + sum[store.Updated]; n > 0 {
			m.logger.Info("rescan loaded new articles", "added", sum[store.Added], "updated", sum[store.Updated])
			if err := ix.CatchUp(ctx); err != nil && ctx.Err() == nil {
				m.logger.Warn("search index catch-up after rescan", "error", err)
			}
		}
	}
}
