package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/bot/discord"
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
			b := bot.New(bot.Deps{
				Articles:     db,
				State:        db,
				Log:          m.logger,
				Now:          m.Now,
				Location:     m.config.Location(),
				ManagerRoles: m.config.Discord.ManagerRoles,
			})
			if token := m.config.Token(m.Getenv); token != "" {
				return m.runDiscord(ctx, b, db, token)
			}
			con := &bot.Console{Bot: b, In: m.Stdin, Out: m.Stdout,
				UserID: "console", UserName: "you", GuildID: "console", ChannelID: "console",
				Permissions: bot.PermManageGuild}
			m.logger.Info("console ready: type /help, /search WORDS, /date WHEN, /article ID; quit or end of input exits")
			return con.Run(ctx)
		},
	}
}

// shutdownGrace bounds a graceful stop: interactions in flight finish,
// then the gateway and the database close.
const shutdownGrace = 10 * time.Second

// runDiscord serves Discord until ctx is cancelled (SIGINT/SIGTERM).
func (m *Main) runDiscord(ctx context.Context, b *bot.Bot, db *store.DB, token string) error {
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
	rescanCtx, stopRescan := context.WithCancel(ctx)
	defer stopRescan()
	rescanDone := make(chan struct{})
	go func() {
		defer close(rescanDone)
		m.rescan(rescanCtx, db)
	}()
	m.logger.Info("digestbot running on Discord; SIGINT or SIGTERM stops it")
	var fatal error
	select {
	case <-ctx.Done():
	case fatal = <-t.Fatal():
	}
	m.logger.Info("shutting down")
	stopRescan()
	closeCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = t.Close(closeCtx)
	<-rescanDone
	if fatal != nil {
		return fatal
	}
	return err
}

// rescan loads new and changed files from the corpus folders every
// bot.rescan_interval until ctx is done.
func (m *Main) rescan(ctx context.Context, db *store.DB) {
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
		if err != nil && ctx.Err() == nil {
			m.logger.Warn("rescan of the corpus folders", "error", err)
		}
		if n := sum["added"] + sum["updated"]; n > 0 {
			m.logger.Info("rescan loaded new articles", "added", sum["added"], "updated", sum["updated"])
		}
	}
}
