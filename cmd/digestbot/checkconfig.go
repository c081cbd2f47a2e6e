package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/digestbot/digestbot/digest"
)

// configWarnings are settings that are valid but probably not what the
// operator meant: a corpus folder that does not exist (yet).
func configWarnings(c Config) []string {
	var out []string
	for i, f := range c.Corpus.Folders {
		st, err := os.Stat(f)
		switch {
		case err != nil && os.IsNotExist(err):
			out = append(out, fmt.Sprintf("corpus.folders[%d]: %s does not exist: digestbot ingest finds no files there until it is created", i, f))
		case err != nil:
			out = append(out, fmt.Sprintf("corpus.folders[%d]: %s cannot be read: %v", i, f, errorText(err)))
		case !st.IsDir():
			out = append(out, fmt.Sprintf("corpus.folders[%d]: %s is a file, not a folder: it is loaded as one article file", i, f))
		}
	}
	return out
}

// errorText is an OS error without the operation and path it repeats.
func errorText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// printConfig prints what a valid configuration sets, one setting a line,
// then each digest as a block with its next run times one a line, then
// the warnings.
func printConfig(w io.Writer, name string, c Config, getenv func(string) string, now time.Time) error {
	warnings := configWarnings(c)
	status := "ok"
	if n := len(warnings); n > 0 {
		status = fmt.Sprintf("ok, with %s", countNoun(n, "warning"))
	}
	fmt.Fprintf(w, "%s: %s\n", name, status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(key, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", key, fmt.Sprintf(format, args...))
	}
	db := c.Database
	if db == "" {
		db = "(default: $XDG_DATA_HOME/digestbot/digestbot.db)"
	}
	row("database", "%s", db)
	row("timezone", "%s", c.Timezone)
	row("corpus.folders", "%s", listOr(c.Corpus.Folders, "none: the embedded sample corpus"))
	row("corpus.max_file_bytes", "%d (%s)", c.Corpus.MaxFileBytes, byteSize(c.Corpus.MaxFileBytes))
	row("log", "level %s, format %s", c.Log.Level, c.Log.Format)
	token := "not set: digestbot run starts the console"
	switch {
	case c.Token(getenv) != "":
		token = "set"
	case c.Discord.PublicKey != "":
		token = "not set: digestbot run will refuse to start, since discord.public_key needs the bot's token too (to register the slash commands and post digests)"
	}
	row("discord token", "$%s %s", c.Discord.TokenEnv, token)
	row("discord.guild_ids", "%s", listOr(c.Discord.GuildIDs, "none: commands are registered globally"))
	row("discord.allowed_guilds", "%s", listOr(c.Discord.AllowedGuilds, "any server the bot is in"))
	row("discord.manager_roles", "%s", listOr(c.Discord.ManagerRoles, "none: only Manage Server may post digests"))
	row("http.listen", "%s", orText(c.HTTP.Listen, "none: no HTTP server"))
	rescan := "off"
	if c.Bot.RescanInterval > 0 {
		rescan = "every " + formatDuration(c.Bot.RescanInterval)
	}
	row("bot.rescan_interval", "%s", rescan)
	jobs := c.DigestJobs()
	if len(jobs) == 0 {
		row("digests", "none")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printFeedConfig(w, c)
	for _, j := range jobs {
		if err := printDigest(w, j, now); err != nil {
			return err
		}
	}
	for _, warn := range warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// printDigest prints one configured digest as a block.
func printDigest(w io.Writer, j digest.Job, now time.Time) error {
	fmt.Fprintf(w, "  digest %s\n", j.Spec.Name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(key, format string, args ...any) {
		fmt.Fprintf(tw, "    %s\t%s\n", key, fmt.Sprintf(format, args...))
	}
	sp := j.Spec
	rule := sp.Rule
	if rule == "" {
		rule = digest.SelectNew
	}
	row("channel", "%s", sp.Channel)
	row("title", "%s", orText(sp.Title, "(default for the selection)"))
	row("select", "%s", rule)
	row("covers", "%s", sp.Coverage())
	row("schedule", "%q in %s", j.Schedule.String(), j.Schedule.Zone())
	maxArticles := sp.MaxArticles
	if maxArticles == 0 {
		maxArticles = digest.DefaultMaxArticles
	}
	row("max_articles", "%d", maxArticles)
	sentences, chars := sp.Summary.Sentences, sp.Summary.MaxChars
	if sentences == 0 {
		sentences = digest.DefaultSentences
	}
	if chars == 0 {
		chars = digest.DefaultMaxChars
	}
	row("summaries", "%s, at most %d characters", countNoun(sentences, "sentence"), chars)
	row("include", "%s", listOr(sp.Include, "everything"))
	row("exclude", "%s", listOr(sp.Exclude, "nothing"))
	row("post_when_empty", "%t", sp.PostWhenEmpty)
	catchUp := string(j.CatchUp)
	if j.CatchUp == "" || j.CatchUp == digest.CatchUpOnce {
		window := j.Window
		if window == 0 {
			window = digest.DefaultCatchUpWindow
		}
		catchUp = "once, if at most " + formatDuration(window) + " late"
	}
	row("catch_up", "%s", catchUp)
	for i, t := range j.Schedule.Next(now, 3) {
		key := ""
		if i == 0 {
			key = "next runs"
		}
		row(key, "%s", t.In(j.Schedule.Zone()).Format("Mon 2006-01-02 15:04 MST"))
	}
	return tw.Flush()
}

func listOr(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// byteSize writes n bytes as "4 MiB", "512 KiB", "900 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return countNoun(int(n), "byte")
}
