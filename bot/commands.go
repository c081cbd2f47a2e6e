package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/apperr"
)

// OptionType is the type of a slash command option, as declared to Discord.
type OptionType int

// Option types (Discord's values).
const (
	OptString  OptionType = 3
	OptInteger OptionType = 4
)

// CommandSpec declares a slash command to Discord.
type CommandSpec struct {
	Name, Description string
	Options           []OptionSpec
}

// OptionSpec declares one option of a slash command.
type OptionSpec struct {
	Name, Description    string
	Type                 OptionType
	Required             bool
	MinLength, MaxLength int // strings; 0 = no limit
	Choices              []Choice
	Autocomplete         bool
}

// Limits on what users type, declared to Discord and checked again here
// (a request may come from anywhere).
const (
	maxQueryLen = 200
	maxWhenLen  = 40
	maxIDLen    = 64
)

// command is one slash command: what is declared to Discord, what answers
// it and, for an option with Autocomplete, what suggests values. The table
// below is the one list the registered commands, the routing and /help
// are made from, so they cannot drift apart.
type command struct {
	spec     CommandSpec
	handle   func(b *Bot, ctx context.Context, req Request) (Response, error)
	complete func(b *Bot, ctx context.Context, req Request) (Response, error)
}

// table is every slash command, in the order /help lists them.
func (b *Bot) table() []command {
	when := "A day (2023-07-03, July 3 2023), month (2023-07, July 2023), year, range (A..B), today, yesterday"
	return []command{
		{spec: CommandSpec{Name: "search", Description: "Search the article archive by keywords", Options: []OptionSpec{
			{Name: "query", Description: `Words to find; "exact phrase", -exclude, prefix*`, Type: OptString, Required: true, MinLength: 1, MaxLength: maxQueryLen},
			{Name: "from", Description: "Only articles dated on or after this (2023-07-03, 2023-07, 2023)", Type: OptString, MaxLength: maxWhenLen},
			{Name: "to", Description: "Only articles dated on or before this (2023-08-31, 2023-08, 2023)", Type: OptString, MaxLength: maxWhenLen},
		}}, handle: (*Bot).searchCommand},
		{spec: CommandSpec{Name: "date", Description: "Articles from a day, month, year or range, newest first", Options: []OptionSpec{
			{Name: "when", Description: when, Type: OptString, Required: true, MinLength: 1, MaxLength: maxWhenLen},
		}}, handle: (*Bot).dateCommand},
		{spec: CommandSpec{Name: "article", Description: "Show one article: summary and full text", Options: []OptionSpec{
			{Name: "id", Description: "The article's ID (at least 4 characters), or start typing its title", Type: OptString, Required: true, MinLength: 1, MaxLength: maxIDLen, Autocomplete: true},
		}}, handle: (*Bot).articleCommand, complete: (*Bot).autocompleteArticle},
		{spec: CommandSpec{Name: "digest", Description: "Preview the digest this channel would get (only you see it)", Options: []OptionSpec{
			{Name: "select", Description: "Which articles", Type: OptString, Choices: digestRuleChoices()},
			{Name: "date", Description: "The day the digest covers (2024-07-03); default: as if posted now", Type: OptString, MaxLength: maxWhenLen},
		}}, handle: (*Bot).digestCommand},
		{spec: CommandSpec{Name: "schedule", Description: "The digests scheduled for this channel: what they cover, their next runs"}, handle: (*Bot).scheduleCommand},
		{spec: CommandSpec{Name: "stats", Description: "The archive at a glance: articles, sources, dates, articles per month"}, handle: (*Bot).statsCommand},
		{spec: CommandSpec{Name: "help", Description: "What digestbot does and how to use it"}, handle: func(b *Bot, _ context.Context, _ Request) (Response, error) {
			return b.help(), nil
		}},
	}
}

// Commands are the slash commands the bot registers.
func (b *Bot) Commands() []CommandSpec {
	t := b.table()
	out := make([]CommandSpec, len(t))
	for i, c := range t {
		out[i] = c.spec
	}
	return out
}

// lookup returns the command named name.
func (b *Bot) lookup(name string) (command, bool) {
	for _, c := range b.table() {
		if c.spec.Name == name {
			return c, true
		}
	}
	return command{}, false
}

// Articles is what the bot reads from the store.
type Articles interface {
	Article(ctx context.Context, id string) (corpus.Article, error)
	Between(ctx context.Context, from, to time.Time) ([]corpus.Article, error)
	Headers(ctx context.Context) ([]corpus.Article, error)
	LastSeq(ctx context.Context) (uint64, error)
}

// StateStore keeps interaction state too long for a custom ID.
type StateStore interface {
	PutValue(ctx context.Context, key string, value []byte, now time.Time) error
	Value(ctx context.Context, key string) ([]byte, time.Time, error)
}

// Deps are what the bot needs; Search, Summaries and Digests may be nil
// while those parts are not configured.
type Deps struct {
	Articles  Articles
	State     StateStore
	Search    Searcher
	Summaries Summarizer
	Digests   Digests
	Log       *slog.Logger
	Now       func() time.Time
	Location  *time.Location
	// ManagerRoles may post digests, besides members with Manage Server.
	ManagerRoles []string
	// AllowedGuilds, when set, are the only guilds the bot answers;
	// requests from elsewhere (other servers, direct messages) are refused.
	AllowedGuilds []string
	// Observe, when set, is told of every request answered: its name
	// (command, "component" or "autocomplete"), outcome ("ok",
	// "user_error" or "error") and how long it took.
	Observe func(name, outcome string, took time.Duration)
}

// Bot routes requests to handlers.
type Bot struct {
	d      Deps
	titles titleCache
}

// New returns a Bot. It does no I/O.
func New(d Deps) *Bot {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	return &Bot{d: d}
}

// Handle answers one request. It never returns an error: failures become
// an ephemeral message for the user and a log line.
func (b *Bot) Handle(ctx context.Context, req Request) Response {
	start := time.Now()
	resp, err := b.route(ctx, req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if userError(err) {
			outcome = "user_error"
		}
		resp = ErrorResponse(b.d.Log, req, err)
	}
	if b.d.Observe != nil {
		name := req.Command
		switch req.Kind {
		case KindComponent:
			name = "component"
		case KindAutocomplete:
			name = "autocomplete"
		}
		b.d.Observe(name, outcome, time.Since(start))
	}
	return resp
}

func (b *Bot) route(ctx context.Context, req Request) (Response, error) {
	if len(b.d.AllowedGuilds) > 0 && !slices.Contains(b.d.AllowedGuilds, req.GuildID) {
		if req.Kind == KindAutocomplete {
			return Response{}, nil
		}
		return Response{}, apperr.Errorf(apperr.Forbidden, "digestbot is not enabled here. Ask the bot's operator to add this server.")
	}
	switch req.Kind {
	case KindAutocomplete:
		if c, ok := b.lookup(req.Command); ok && c.complete != nil {
			return c.complete(b, ctx, req)
		}
		return Response{}, nil
	case KindComponent:
		return b.component(ctx, req)
	case KindCommand:
		c, ok := b.lookup(req.Command)
		if !ok {
			return Response{}, Errorf("Unknown command /%s. Try /help.", req.Command)
		}
		if err := checkOptions(c.spec, req); err != nil {
			return Response{}, err
		}
		return c.handle(b, ctx, req)
	}
	return Response{}, fmt.Errorf("request of unknown kind %d", req.Kind)
}

// component routes a button press or select by the prefix of its custom ID.
func (b *Bot) component(ctx context.Context, req Request) (Response, error) {
	kind, rest, _ := strings.Cut(req.CustomID, "|")
	switch kind {
	case "s":
		return b.searchPage(ctx, req, rest)
	case "d":
		return b.datePage(ctx, req, rest)
	case "a":
		return b.articlePage(ctx, req, rest)
	case "open":
		if len(req.Values) != 1 {
			return Response{}, Errorf("Pick one article from the list.")
		}
		return b.showArticle(ctx, req.Values[0], 0, false)
	case "share":
		return b.share(ctx, req, rest)
	case "post":
		return b.postDigest(ctx, req, rest)
	}
	return Response{}, Errorf("This button is from an older version of the bot; run the command again.")
}

// checkOptions checks option values against what the command declares to
// Discord: a request may come from anywhere, not only Discord's client.
func checkOptions(spec CommandSpec, req Request) error {
	for _, o := range spec.Options {
		v, ok := req.Options[o.Name]
		if !ok {
			continue
		}
		if err := checkText(o.Name, v); err != nil {
			return err
		}
		if n := Len(v); o.MaxLength > 0 && n > o.MaxLength {
			return Errorf("The %s option is %d characters long; keep it to %d.", o.Name, n, o.MaxLength)
		}
	}
	return nil
}

// checkText refuses option text no keyboard produces: control characters
// and invalid UTF-8.
func checkText(name, v string) error {
	if !utf8Valid(v) {
		return Errorf("The %s option is not valid text.", name)
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return Errorf("The %s option contains control characters; type it again as plain text.", name)
		}
	}
	return nil
}

func (b *Bot) help() Response {
	var sb strings.Builder
	sb.WriteString("digestbot keeps an archive of news articles, finds them by keyword or date, and posts digests of summaries on a schedule.\n\n")
	for _, c := range b.Commands() {
		fmt.Fprintf(&sb, "**/%s**", c.Name)
		for _, o := range c.Options {
			if o.Required {
				fmt.Fprintf(&sb, " %s", o.Name)
			} else {
				fmt.Fprintf(&sb, " [%s]", o.Name)
			}
		}
		fmt.Fprintf(&sb, " — %s\n", c.Description)
	}
	sb.WriteString("\nResults are shown only to you; use **Share in channel** to post an article for everyone.")
	return Response{Embeds: []Embed{{Title: "digestbot", Description: sb.String()}}, Ephemeral: true}
}
