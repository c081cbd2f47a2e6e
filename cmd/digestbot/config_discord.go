package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/digestbot/digestbot/bot/discord"
)

// DiscordConfig is the discord: section.
type DiscordConfig struct {
	// TokenEnv names the environment variable holding the bot token. The
	// token itself never goes in the file.
	TokenEnv string `yaml:"token_env"`
	// ApplicationID is the application's ID (optional: READY reports it).
	ApplicationID string `yaml:"application_id"`
	// GuildIDs register commands per guild, so changes show at once.
	GuildIDs []string `yaml:"guild_ids"`
	// ManagerRoles (names or IDs) may post digests, besides Manage Server.
	ManagerRoles []string `yaml:"manager_roles"`
	// APIURL and GatewayURL point the bot at a Discord-compatible server.
	APIURL     string `yaml:"api_url"`
	GatewayURL string `yaml:"gateway_url"`
	// PublicKey is the application's Ed25519 public key (hex), which
	// verifies requests to the HTTP interactions endpoint.
	PublicKey string `yaml:"public_key"`
	// AllowedGuilds, when set, are the only guilds whose interactions the
	// bot answers.
	AllowedGuilds []string `yaml:"allowed_guilds"`
	// Shards is how many gateway shards the replicas of a cluster share:
	// a number, or auto (Discord's recommendation, the default in a
	// cluster). Needs a cluster: section.
	Shards string `yaml:"shards"`
}

// HTTPConfig is the http: section.
type HTTPConfig struct {
	// Listen is the address of the bot's HTTP server (/healthz, /metrics,
	// and /interactions when discord.public_key is set); empty: none.
	Listen string `yaml:"listen"`
}

// BotConfig is the bot: section.
type BotConfig struct {
	// RescanInterval is how often the corpus folders are checked for new
	// or changed files while the bot runs; 0 turns rescanning off.
	RescanInterval time.Duration `yaml:"rescan_interval"`
}

var (
	snowflakeRE = lazyRegexp(`^[0-9]{5,25}$`)
	envNameRE   = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// snowflakeProblem says what is wrong with id as a Discord ID (what,
// e.g. "channel ID"), or "" when it will do.
func snowflakeProblem(id, what string) string {
	switch {
	case snowflakeRE().MatchString(id):
		return ""
	case strings.Trim(id, "0123456789") != "":
		return fmt.Sprintf("%q is not a Discord %s: those are digits only", id, what)
	case len(id) < 5:
		return fmt.Sprintf("%q is too short for a Discord %s (a snowflake; real ones have 17 to 20 digits)", id, what)
	}
	return fmt.Sprintf("%q is too long for a Discord %s (a snowflake; real ones have 17 to 20 digits)", id, what)
}

// validateDiscord checks the discord: and bot: sections.
func (c *Config) validateDiscord(bad func(key, format string, args ...any)) {
	d := c.Discord
	if d.TokenEnv != "" && !envNameRE().MatchString(d.TokenEnv) {
		bad("discord.token_env", "%q is not an environment variable name (the token itself never goes in this file)", d.TokenEnv)
	}
	if p := snowflakeProblem(d.ApplicationID, "application ID"); d.ApplicationID != "" && p != "" {
		bad("discord.application_id", "%s", p)
	}
	for i, g := range d.GuildIDs {
		if p := snowflakeProblem(g, "server ID"); p != "" {
			bad(fmt.Sprintf("discord.guild_ids[%d]", i), "%s", p)
		}
	}
	if d.APIURL != "" {
		if u, err := url.Parse(d.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("discord.api_url", "%q is not an http(s) URL", d.APIURL)
		}
	}
	if d.GatewayURL != "" {
		if u, err := url.Parse(d.GatewayURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			bad("discord.gateway_url", "%q is not a ws(s) URL", d.GatewayURL)
		}
	}
	for i, g := range d.AllowedGuilds {
		if p := snowflakeProblem(g, "server ID"); p != "" {
			bad(fmt.Sprintf("discord.allowed_guilds[%d]", i), "%s", p)
		}
	}
	if d.PublicKey != "" {
		if _, err := discord.ParsePublicKey(d.PublicKey); err != nil {
			bad("discord.public_key", "want the 64 hex digits shown as Public Key in the developer portal")
		}
	}
	if c.HTTP.Listen != "" {
		if _, port, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			bad("http.listen", "%q is not host:port (e.g. 127.0.0.1:8080 or :8080)", c.HTTP.Listen)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("http.listen", "port %q of %q is not a port number from 0 to 65535", port, c.HTTP.Listen)
		}
	} else if d.PublicKey != "" {
		bad("discord.public_key", "the interactions endpoint needs http.listen too")
	}
	if c.Bot.RescanInterval < 0 || (c.Bot.RescanInterval > 0 && c.Bot.RescanInterval < time.Second) {
		bad("bot.rescan_interval", "must be 0 (off) or at least 1s, got %s", c.Bot.RescanInterval)
	}
}

// Token reads the bot token from the environment variable the config
// names; "" when none is configured or the variable is empty.
func (c *Config) Token(getenv func(string) string) string {
	if c.Discord.TokenEnv == "" {
		return ""
	}
	return getenv(c.Discord.TokenEnv)
}

// needsToken refuses a configuration with discord.public_key but no bot
// token: answering interactions over HTTP alone would leave the slash
// commands unregistered and the digests unposted, which need the token.
func (c *Config) needsToken(getenv func(string) string) error {
	if c.Discord.PublicKey == "" || c.Token(getenv) != "" {
		return nil
	}
	name := "the token variable (discord.token_env)"
	if c.Discord.TokenEnv != "" {
		name = "$" + c.Discord.TokenEnv
	}
	return fmt.Errorf("discord.public_key is set but %s is empty: the bot needs its token too, to register its slash commands and post digests; set it, or remove discord.public_key to run the console", name)
}
