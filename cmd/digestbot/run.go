package main

import (
	"context"
	"flag"

	"github.com/digestbot/digestbot/bot"
)

func runCommand() command {
	return command{
		name: "run", args: "",
		summary: "Run the bot.\n\n" +
			"With no Discord token configured, runs the console: type slash commands such as\n" +
			"`/search border police`, `/date 2023-07` or `/help` and see the answers as Discord\n" +
			"would show them; `click N` presses a button, `select N` opens a menu entry.\n" +
			"Reads standard input, so it can be scripted; ends at end of input or on quit.\n" +
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
				Articles: db,
				State:    db,
				Log:      m.logger,
				Now:      m.Now,
				Location: m.config.Location(),
			})
			con := &bot.Console{Bot: b, In: m.Stdin, Out: m.Stdout,
				UserID: "console", UserName: "you", GuildID: "console", ChannelID: "console",
				Permissions: bot.PermManageGuild}
			m.logger.Info("console ready: type /help, /search WORDS, /date WHEN, /article ID; quit or end of input exits")
			return con.Run(ctx)
		},
	}
}
