// Package discord is the bot's Discord transport. It registers the slash
// commands, receives interactions over its own gateway connection (one
// shard each; session resume, heartbeats and reconnects follow Discord's
// gateway docs, see gateway.go) or over the HTTP interactions endpoint
// (verified with the application's public key), turns them into bot
// requests and responses back into interaction callbacks (deferring slow
// ones), and posts scheduled messages to channels with our own payload and
// nonce (post.go), every REST call passing one rate-limit gate (global 429s,
// bans, the invalid-request budget). It is the only package that imports
// discordgo.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/digestbot/digestbot/bot"
)

// Options configure a Transport.
type Options struct {
	// Token is the bot token (without the "Bot " prefix).
	Token string
	// AppID is the application ID; when empty, the one READY reports.
	AppID string
	// GuildIDs register the commands per guild (changes show at once);
	// with none they are registered globally.
	GuildIDs []string
	// APIURL and GatewayURL point the client at a Discord-compatible
	// server instead of discord.com (tests use a fake on loopback).
	APIURL, GatewayURL string
	// HTTPClient, when set, is used for every REST request.
	HTTPClient *http.Client
	// DeferAfter is how long a handler may run before the interaction is
	// deferred ("thinking…") and answered by a follow-up. Default 2 s, well
	// inside Discord's 3 s window.
	DeferAfter time.Duration
	// HandlerTimeout bounds one request; default 10 minutes (an
	// interaction token lasts 15).
	HandlerTimeout time.Duration
	// Post tunes retries of channel posts.
	Post PostPolicy
	// ShardID and ShardCount name the gateway shard this transport is
	// (topics/gateway#sharding); ShardCount 0 or 1: no sharding.
	ShardID, ShardCount int
	// DMs makes global commands usable in direct messages with the bot
	// too; by default they are offered in servers only.
	DMs bool
	// ReconnectMin and ReconnectMax bound the wait between gateway
	// reconnection attempts (doubling from min to max); defaults 1 s and
	// 2 min.
	ReconnectMin, ReconnectMax time.Duration
	Log                        *slog.Logger
	// OnRateLimit, when set, is told of every 429 Discord answered: the
	// URL and how long Discord asked to wait. (For metrics.)
	OnRateLimit func(url string, wait time.Duration)
	// Now is the clock Connected's times come from: the caller's, so a
	// health check compares like with like. Default time.Now.
	Now func() time.Time
	// OnInvalidRequest, when set, is told of every invalid request (a 401,
	// 403, or 429 not of scope "shared"): Discord bans an IP at 10,000 in
	// 10 minutes. (For metrics.)
	OnInvalidRequest func(status int)
	// InvalidRequestBudget is how many invalid requests in 10 minutes
	// make the transport stop sending (ErrInvalidBudget) until they age
	// out; default 1000, a tenth of Discord's limit.
	InvalidRequestBudget int
	// RESTLimits, when set, is shared with the other transports of the
	// process (shards): a global 429 or a ban seen by one holds them all.
	// It then replaces InvalidRequestBudget and OnInvalidRequest.
	RESTLimits *RESTLimits
}

// Transport connects one bot to Discord.
type Transport struct {
	bot  *bot.Bot
	opts Options
	s    *discordgo.Session
	log  *slog.Logger
	// ownHTTP is the REST connection pool New made (nil with
	// Options.HTTPClient): Close closes its idle connections.
	ownHTTP *http.Transport

	ctx    context.Context // cancelled by Close: in-flight handlers stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // in-flight interactions

	gw   gatewayState
	conn *gateway
	rest *RESTLimits

	mu    sync.Mutex
	appID string
}

// New returns a transport for b. It does no I/O; Open connects.
func New(b *bot.Bot, opts Options) (*Transport, error) {
	if opts.Token == "" {
		return nil, errors.New("discord: no bot token")
	}
	if opts.DeferAfter <= 0 {
		opts.DeferAfter = 2 * time.Second
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 10 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReconnectMin <= 0 {
		opts.ReconnectMin = time.Second
	}
	if opts.ReconnectMax < opts.ReconnectMin {
		opts.ReconnectMax = max(opts.ReconnectMin, 2*time.Minute)
	}
	s, err := discordgo.New("Bot " + opts.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	if opts.ShardCount > 1 && (opts.ShardID < 0 || opts.ShardID >= opts.ShardCount) {
		return nil, fmt.Errorf("discord: shard %d of %d: want 0 ≤ shard < count", opts.ShardID, opts.ShardCount)
	}
	s.StateEnabled = true
	s.MaxRestRetries = 2
	s.LogLevel = discordgo.LogError
	if opts.RESTLimits == nil {
		opts.RESTLimits = NewRESTLimits(opts.InvalidRequestBudget, opts.OnInvalidRequest)
	}
	client, own, err := restClient(opts)
	if err != nil {
		return nil, err
	}
	s.Client = client
	ctx, cancel := context.WithCancel(context.Background())
	t := &Transport{bot: b, opts: opts, s: s, log: opts.Log, ownHTTP: own, ctx: ctx, cancel: cancel, appID: opts.AppID, rest: opts.RESTLimits}
	t.gw.fatal = make(chan error, 1)
	t.conn = newGateway(opts, s, t)
	s.AddHandler(func(_ *discordgo.Session, r *discordgo.RateLimit) {
		t.log.Warn("discord rate limit", "url", r.URL, "retry_after", r.RetryAfter)
		t.rateLimited(r.URL, r.RetryAfter)
	})
	return t, nil
}

// restClient is the HTTP client of every REST call: opts.HTTPClient (or a
// pool of our own, returned to be closed), pointed at opts.APIURL when set,
// under the REST gate.
func restClient(opts Options) (*http.Client, *http.Transport, error) {
	client := opts.HTTPClient
	var own *http.Transport
	if client == nil {
		// Interactions arrive in bursts, each answered with its own REST
		// call: keep enough idle connections that a burst reuses them
		// (the default keeps 2, and opens and closes the rest).
		own = http.DefaultTransport.(*http.Transport).Clone()
		own.MaxIdleConnsPerHost = 64
		client = &http.Client{Timeout: 30 * time.Second, Transport: own}
	}
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	if opts.APIURL != "" || opts.GatewayURL != "" {
		rt, err := newRewriter(next, opts.APIURL, opts.GatewayURL)
		if err != nil {
			return nil, nil, err
		}
		next = rt
	}
	c := *client
	c.Transport = &restGate{next: next, RESTLimits: opts.RESTLimits}
	return &c, own, nil
}

// newGateway is the gateway connection of a transport: its shard, and GET
// /gateway through discordgo's REST client (so through the rewriter).
func newGateway(opts Options, s *discordgo.Session, events gatewayEvents) *gateway {
	return &gateway{
		token: "Bot " + opts.Token, intents: int(discordgo.IntentsGuilds),
		shardID: opts.ShardID, shardCount: opts.ShardCount,
		dialer: &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 10 * time.Second},
		jitter: randomJitter, events: events,
		gatewayURL: func(ctx context.Context) (string, error) { return s.Gateway(discordgo.WithContext(ctx)) },
	}
}

// Open connects to the gateway, waits for READY and registers the slash
// commands. ctx bounds the wait.
func (t *Transport) Open(ctx context.Context) error {
	if err := t.conn.connect(ctx); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && fatalCloseCodes[ce.Code] != "" {
			return fmt.Errorf("discord: connect to the gateway: code %d, %s", ce.Code, fatalCloseCodes[ce.Code])
		}
		return fmt.Errorf("discord: connect to the gateway: %w", err)
	}
	t.gw.set(true, t.opts.Now())
	if err := t.Register(ctx); err != nil {
		return err
	}
	return nil
}

// Register (re)declares the slash commands: per configured guild, or
// globally.
func (t *Transport) Register(ctx context.Context) error {
	t.mu.Lock()
	appID := t.appID
	t.mu.Unlock()
	if appID == "" {
		return errors.New("discord: no application ID (set discord.application_id)")
	}
	guilds := t.opts.GuildIDs
	if len(guilds) == 0 {
		guilds = []string{""}
	}
	var cmds []*discordgo.ApplicationCommand
	for _, g := range guilds {
		cmds = commands(t.bot.Commands())
		if g == "" {
			// Global commands show wherever the app is installed, DMs
			// included, unless contexts says otherwise
			// (interactions/application-commands#interaction-contexts).
			ctxs := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
			if t.opts.DMs {
				ctxs = append(ctxs, discordgo.InteractionContextBotDM)
			}
			for _, c := range cmds {
				c.Contexts = &ctxs
			}
		}
		if _, err := t.s.ApplicationCommandBulkOverwrite(appID, g, cmds, discordgo.WithContext(ctx)); err != nil {
			where := "globally"
			if g != "" {
				where = "in guild " + g
			}
			return fmt.Errorf("discord: register commands %s: %w", where, err)
		}
	}
	t.log.Info("slash commands registered", "commands", len(cmds), "guilds", t.opts.GuildIDs)
	return nil
}

// Close stops taking interactions, waits up to ctx for those in flight,
// then closes the gateway.
func (t *Transport) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.log.Warn("closing with interactions still in flight")
	}
	t.cancel() // before closing: losing the connection must not reconnect
	t.conn.close()
	if t.ownHTTP != nil {
		// Else each idle keep-alive connection lingers, with two
		// goroutines, until it times out.
		t.ownHTTP.CloseIdleConnections()
	}
	return nil
}

func (t *Transport) rateLimited(url string, wait time.Duration) {
	if t.opts.OnRateLimit != nil {
		t.opts.OnRateLimit(url, wait)
	}
}

// gatewayReady handles READY: the application ID, the guilds (for role
// names) and the connection state.
func (t *Transport) gatewayReady(data json.RawMessage) {
	var r discordgo.Ready
	if err := json.Unmarshal(data, &r); err != nil {
		t.log.Warn("discord: undecodable READY", "error", err)
	}
	t.s.State.OnInterface(t.s, &r)
	t.mu.Lock()
	if t.appID == "" && r.Application != nil {
		t.appID = r.Application.ID
	}
	t.mu.Unlock()
	user := ""
	if r.User != nil {
		user = r.User.Username
	}
	t.gw.set(true, t.opts.Now())
	t.log.Info("discord gateway ready", "user", user, "guilds", len(r.Guilds))
}

// gatewayEvent handles a dispatch: interactions are answered (each on its
// own goroutine), guild and role events kept for role names.
func (t *Transport) gatewayEvent(name string, data json.RawMessage) {
	var ev any
	switch name {
	case "INTERACTION_CREATE":
		var ic discordgo.InteractionCreate
		if err := json.Unmarshal(data, &ic); err != nil || ic.Interaction == nil {
			t.log.Warn("discord: undecodable interaction", "error", err)
			return
		}
		go t.onInteraction(t.s, &ic)
		return
	case "GUILD_CREATE":
		ev = &discordgo.GuildCreate{}
	case "GUILD_UPDATE":
		ev = &discordgo.GuildUpdate{}
	case "GUILD_DELETE":
		ev = &discordgo.GuildDelete{}
	case "GUILD_ROLE_CREATE":
		ev = &discordgo.GuildRoleCreate{}
	case "GUILD_ROLE_UPDATE":
		ev = &discordgo.GuildRoleUpdate{}
	case "GUILD_ROLE_DELETE":
		ev = &discordgo.GuildRoleDelete{}
	default:
		return
	}
	if err := json.Unmarshal(data, ev); err != nil {
		t.log.Warn("discord: undecodable event", "event", name, "error", err)
		return
	}
	t.s.State.OnInterface(t.s, ev)
}

func (t *Transport) roleName(guildID, roleID string) string {
	if t.s.State == nil {
		return ""
	}
	r, err := t.s.State.Role(guildID, roleID)
	if err != nil {
		return ""
	}
	return r.Name
}

// onInteraction answers one interaction from the gateway: the reply is a
// REST callback.
func (t *Transport) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	if t.ctx.Err() != nil {
		return
	}
	req, err := request(i, t.roleName)
	if err != nil {
		t.log.Warn("ignoring interaction", "id", i.ID, "error", err)
		return
	}
	t.wg.Add(1)
	defer t.wg.Done()
	// Discord refuses a callback after its 3 s window: past it, a 429 is
	// not worth waiting out.
	window := time.Now().Add(discordgo.InteractionDeadline)
	t.serve(i.Interaction, req, func(ctx context.Context, r *discordgo.InteractionResponse) error {
		return t.waitOutRateLimits(ctx, window, func(opts ...discordgo.RequestOption) error {
			if r.Type == discordgo.InteractionApplicationCommandAutocompleteResult {
				endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
				_, err := s.RequestWithBucketID(http.MethodPost, endpoint, autocompleteBody(r), endpoint, opts...)
				return err
			}
			if r.Data != nil {
				rewind(r.Data.Files)
			}
			return s.InteractionRespond(i.Interaction, r, opts...)
		})
	})
}

// waitOutRateLimits runs call (a REST call taking opts) again after each
// 429 until it is answered otherwise, waiting retry_after under ctx, and
// gives up when that wait would end past until (if not zero). discordgo's
// own retry never gives up, sleeps without a context, and keeps every
// earlier response open (with a goroutine each) until the last one.
func (t *Transport) waitOutRateLimits(ctx context.Context, until time.Time, call func(opts ...discordgo.RequestOption) error) error {
	for {
		err := call(discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		var rl *discordgo.RateLimitError
		if !errors.As(err, &rl) || rl.RateLimit == nil || rl.TooManyRequests == nil {
			return err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second // Discord did not say: be careful
		}
		t.log.Warn("discord rate limit", "url", rl.URL, "retry_after", wait)
		t.rateLimited(rl.URL, wait)
		if !until.IsZero() && time.Now().Add(wait).After(until) {
			return fmt.Errorf("rate limited past the answer window: %w", err)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("waiting out a rate limit: %w", err)
		}
	}
}

// autocompleteBody is an autocomplete answer as Discord requires it:
// "choices" always present, [] when nothing matches
// (interactions/receiving-and-responding#interaction-response-object-autocomplete).
// discordgo's InteractionResponseData omits an empty list.
func autocompleteBody(r *discordgo.InteractionResponse) any {
	cs := []*discordgo.ApplicationCommandOptionChoice{}
	if r.Data != nil && r.Data.Choices != nil {
		cs = r.Data.Choices
	}
	type data struct {
		Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	}
	return struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data data                              `json:"data"`
	}{r.Type, data{cs}}
}

// rewind moves attachments back to their start for another try.
func rewind(files []*discordgo.File) {
	for _, f := range files {
		if s, ok := f.Reader.(io.Seeker); ok {
			s.Seek(0, io.SeekStart)
		}
	}
}

// serve runs the handler for req and answers through reply: at once when
// the handler is quick, else with a deferral ("thinking…") followed by an
// edit. reply is called exactly once; what follows it (the edit, a public
// follow-up) needs only the interaction token.
func (t *Transport) serve(in *discordgo.Interaction, req bot.Request, reply func(context.Context, *discordgo.InteractionResponse) error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.opts.HandlerTimeout)
	defer cancel()
	start := time.Now()
	var err error
	defer func() { t.logDone(req, start, err) }()

	if req.Kind == bot.KindAutocomplete {
		resp := t.bot.Handle(ctx, req)
		err = reply(ctx, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices(resp.Choices)},
		})
		return
	}

	done := make(chan bot.Response, 1)
	go func() { done <- t.bot.Handle(ctx, req) }()
	timer := time.NewTimer(t.opts.DeferAfter)
	defer timer.Stop()
	var resp bot.Response
	select {
	case resp = <-done:
		err = reply(ctx, response(req, resp))
	case <-timer.C:
		if err = reply(ctx, deferral(req)); err != nil {
			return
		}
		resp = <-done
		err = t.followUp(ctx, in, req, resp)
	}
	if err == nil && resp.Public != nil {
		params := &discordgo.WebhookParams{
			Content: resp.Public.Content, Embeds: embeds(resp.Public.Embeds), Components: components(resp.Public.Components),
			AllowedMentions: noMentions(),
		}
		err = t.waitOutRateLimits(ctx, time.Time{}, func(opts ...discordgo.RequestOption) error {
			_, err := t.s.FollowupMessageCreate(in, true, params, opts...)
			return err
		})
	}
}

func (t *Transport) logDone(req bot.Request, start time.Time, err error) {
	name := req.Command
	if req.Kind == bot.KindComponent {
		name = "component"
	}
	if err != nil {
		t.log.Error("answering interaction failed", "command", name, "custom_id", req.CustomID, "error", err)
		return
	}
	t.log.Debug("interaction answered", "command", name, "took", time.Since(start))
}

// deferral acknowledges an interaction whose answer will follow: a
// private "thinking…" for a command, a silent acknowledgement for a
// component.
func deferral(req bot.Request) *discordgo.InteractionResponse {
	if req.Kind == bot.KindComponent {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	}
}

// response is the immediate answer to an interaction.
func response(req bot.Request, resp bot.Response) *discordgo.InteractionResponse {
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if resp.Update && req.Kind == bot.KindComponent {
		typ = discordgo.InteractionResponseUpdateMessage
	}
	data := &discordgo.InteractionResponseData{
		Content: resp.Content, Embeds: embeds(resp.Embeds), Components: components(resp.Components),
		Files: files(resp.Files), AllowedMentions: noMentions(),
	}
	if resp.Ephemeral && typ != discordgo.InteractionResponseUpdateMessage {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: typ, Data: data}
}

// followUp edits the deferred answer into place.
func (t *Transport) followUp(ctx context.Context, in *discordgo.Interaction, req bot.Request, resp bot.Response) error {
	if req.Kind == bot.KindComponent && !resp.Update {
		// A new message (an article opened from a list, an error): a
		// follow-up, not an edit of the list.
		var flags discordgo.MessageFlags
		if resp.Ephemeral {
			flags = discordgo.MessageFlagsEphemeral
		}
		params := &discordgo.WebhookParams{
			Content: resp.Content, Embeds: embeds(resp.Embeds), Components: components(resp.Components),
			Files: files(resp.Files), AllowedMentions: noMentions(), Flags: flags,
		}
		return t.waitOutRateLimits(ctx, time.Time{}, func(opts ...discordgo.RequestOption) error {
			rewind(params.Files)
			_, err := t.s.FollowupMessageCreate(in, true, params, opts...)
			return err
		})
	}
	content, es, cs := resp.Content, embeds(resp.Embeds), components(resp.Components)
	edit := &discordgo.WebhookEdit{
		Content: &content, Embeds: &es, Components: &cs, Files: files(resp.Files), AllowedMentions: noMentions(),
	}
	return t.waitOutRateLimits(ctx, time.Time{}, func(opts ...discordgo.RequestOption) error {
		rewind(edit.Files)
		_, err := t.s.InteractionResponseEdit(in, edit, opts...)
		return err
	})
}
