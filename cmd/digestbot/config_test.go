package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestExampleConfigIsValid(t *testing.T) {
	c, err := LoadConfig("../../config.example.yaml", env(map[string]string{"HOME": "/home/u"}))
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if c.Database != "/home/u/.local/share/digestbot/digestbot.db" {
		t.Errorf("database = %q", c.Database)
	}
	abs, _ := filepath.Abs("../../articles")
	if len(c.Corpus.Folders) != 1 || c.Corpus.Folders[0] != abs {
		t.Errorf("folders = %v, want [%s] (relative to the config file)", c.Corpus.Folders, abs)
	}
	if c.Location().String() != "UTC" || c.Corpus.MaxFileBytes != 4194304 {
		t.Errorf("timezone %s, max_file_bytes %d", c.Location(), c.Corpus.MaxFileBytes)
	}
	if c.Token(env(map[string]string{"DISCORD_TOKEN": "secret"})) != "secret" || c.Discord.ApplicationID == "" || c.Bot.RescanInterval != time.Minute {
		t.Errorf("discord: %+v, bot: %+v", c.Discord, c.Bot)
	}
	// An example allowed_guilds ID would refuse every real server: the
	// example leaves it commented out.
	if len(c.Discord.AllowedGuilds) != 0 {
		t.Errorf("the example config restricts the bot to guilds %v", c.Discord.AllowedGuilds)
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "timezone: UTC\ndatabse: x.db\n", []string{"c.yaml:2", "unknown key databse (did you mean database?)"}},
		{"unknown nested key", "corpus:\n  folders: [a]\n  max_bytes: 10\n", []string{"c.yaml:3", "max_bytes"}},
		{"unknown digest key", "digests:\n  - name: a\n    max_article: 3\n", []string{"c.yaml:3: digests[0].max_article: unknown key max_article (did you mean max_articles?)"}},
		{"unknown key with a list", "corpus:\n  folder: [a]\n", []string{"c.yaml:2: corpus.folder: unknown key folder (did you mean folders?)"}},
		{"unknown key, nothing close", "log:\n  colour: red\n", []string{"c.yaml:2", "unknown key colour; the keys here are format, level"}},
		{"wrong type", "corpus:\n  max_file_bytes: lots\n", []string{"c.yaml:2", "corpus.max_file_bytes", `must be a number, got "lots"`}},
		{"not a number", "digests:\n  - name: a\n    sentences: FRY\n", []string{"c.yaml:3", "digests[0].sentences: must be a number, got \"FRY\""}},
		{"duration without unit", "bot:\n  rescan_interval: 5\n", []string{"c.yaml:2", "bot.rescan_interval", "5s, 5m or 5h"}},
		{"not a bool", "digests:\n  - name: a\n    post_when_empty: maybe\n", []string{"c.yaml:3", "must be true or false"}},
		{"list expected", "corpus:\n  folders: articles\n", []string{"c.yaml:2", "corpus.folders"}},
		{"bad zone", "log:\n  level: info\ntimezone: Mars/Olympus\n", []string{"c.yaml:3", "timezone", "Mars/Olympus", "IANA"}},
		{"negative size", "corpus:\n  max_file_bytes: -1\n", []string{"c.yaml:2", "corpus.max_file_bytes", "positive"}},
		{"bad level", "log:\n  level: loud\n", []string{"c.yaml:2", "log.level", "loud"}},
		{"bad format", "log:\n  format: xml\n", []string{"c.yaml:2", "log.format"}},
		{"syntax", "corpus: [\n", []string{"c.yaml"}},
		{"token in the file", "discord:\n  token_env: MTA1.Gx7.abc-def\n", []string{"c.yaml:2", "discord.token_env", "never goes in this file"}},
		{"guild id", "discord:\n  guild_ids: [\"123456789\", my-server]\n", []string{"c.yaml:2", "discord.guild_ids[1]", "my-server"}},
		{"api url", "discord:\n  api_url: discord.example\n", []string{"c.yaml:2", "discord.api_url"}},
		{"gateway url", "discord:\n  gateway_url: http://x\n", []string{"c.yaml:2", "discord.gateway_url", "ws(s)"}},
		{"rescan", "bot:\n  rescan_interval: often\n", []string{"c.yaml:2", "bot.rescan_interval"}},
		{"rescan too fast", "bot:\n  rescan_interval: 10ms\n", []string{"c.yaml:2", "bot.rescan_interval", "at least 1s"}},
		{"two errors", "timezone: Nowhere\nlog:\n  level: loud\n", []string{"c.yaml:1: timezone", "c.yaml:3: log.level"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantConfigError(t, c.yaml, c.want)
		})
	}
}

func TestConfigDefaultsAndEnv(t *testing.T) {
	c, err := ParseConfig("/etc/digestbot/c.yaml", []byte(""), env(nil))
	if err != nil {
		t.Fatalf("empty config: %v", err)
	}
	if c.Timezone != "UTC" || c.Log.Level != "info" || c.Corpus.MaxFileBytes <= 0 {
		t.Errorf("defaults: %+v", c)
	}
	c, err = ParseConfig("/etc/digestbot/c.yaml", []byte("database: ${DATA}/db\ntimezone: Europe/Berlin\ncorpus:\n  folders: [news, /abs]\n"), env(map[string]string{"DATA": "/var/lib/d"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != "/var/lib/d/db" || c.Corpus.Folders[0] != "/etc/digestbot/news" || c.Corpus.Folders[1] != "/abs" {
		t.Errorf("paths: %q %v", c.Database, c.Corpus.Folders)
	}
	if c.Location().String() != "Europe/Berlin" {
		t.Errorf("location = %s", c.Location())
	}
}

func FuzzParseConfig(f *testing.F) {
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("corpus:\n  folders: [a, b]\n"))
	f.Add([]byte("timezone: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yaml", data, env(nil))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if c.Location() == nil || c.Corpus.MaxFileBytes <= 0 {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}

func TestCheckConfigPrintsSchedules(t *testing.T) {
	out, _, err := run(t, t.TempDir(), "check-config", "../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The injected clock is 2023-07-04 09:00 UTC: 11:00 in Berlin, so the
	// morning digest runs next on the 5th at 08:00 local time.
	for _, want := range []string{"config.example.yaml: ok, with 1 warning", "digest morning", "digest history", "$DISCORD_TOKEN not set",
		// Each next run on its own line.
		"next runs        Wed 2023-07-05 08:00 CEST\n                     Thu 2023-07-06 08:00 CEST\n",
		"include          border police, party building", "exclude          advertisement", "max_articles     10",
		"discord.guild_ids       234567890123456789", "discord.allowed_guilds  any server the bot is in",
		"catch_up         once, if at most 6h late", "covers           articles dated the day of each run (covers: today)",
		"warning: corpus.folders[0]:", "articles does not exist"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "6h0m0s") {
		t.Errorf("check-config shows a Go duration:\n%s", out)
	}
	if _, _, err := run(t, t.TempDir(), "check-config", "nonexistent.yaml"); err == nil {
		t.Error("a missing file passed")
	}
}

// wantConfigError checks that yaml is refused with an error holding every
// string of want, in the file's terms: no Go type or package shows.
func wantConfigError(t *testing.T, yaml string, want []string) {
	t.Helper()
	_, err := ParseConfig("c.yaml", []byte(yaml), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	for _, leak := range []string{"main.", "strconv", "unmarshal", "!!", "int64", "time.Duration", "[]string"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q shows Go's %q", err, leak)
		}
	}
}
