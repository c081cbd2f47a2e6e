// Package fakediscord is a Discord stand-in for tests: it listens on
// 127.0.0.1 only and speaks enough of Discord's REST API (v9/v10) and
// gateway for a client that follows Discord's documentation (and for
// github.com/bwmarrin/discordgo v0.29.0's REST calls), records everything it
// receives, holds the client to the documented rules, and misbehaves on
// demand.
//
// # Pointing discordgo at it
//
// discordgo's endpoints are package variables (discordgo.EndpointAPI…) set
// at init; never reassign them (other tests share them). Instead:
//
//	f := fakediscord.StartT(t, fakediscord.Options{})
//	s, _ := discordgo.New("Bot token")
//	f.Configure(s) // s.Client and s.Dialer now reach only the fake
//	s.Open()
//
// Configure sets Session.Client to f.HTTPClient(), whose transport rewrites
// the scheme and host of any request for discord.com (or discordapp.com,
// discord.gg, their subdomains) to the fake and refuses every other host,
// and Session.Dialer to a websocket dialer that can reach only the fake.
// discordgo learns the websocket address from GET /api/v9/gateway, which
// answers ws://127.0.0.1:PORT/ws. A bot with its own transport can use
// URL, APIURL and GatewayURL instead.
//
// # What it serves
//
// REST: GET /gateway and /gateway/bot; GET /users/@me and /applications/@me;
// application commands, global and per guild (PUT bulk overwrite keeping
// IDs by name, POST upsert, GET, PATCH, DELETE), validated against Discord's
// limits (names, descriptions, 25 options/choices, required-before-optional,
// min/max lengths, 100 commands, 4000 characters); POST
// /interactions/{id}/{token}/callback (once per interaction, within
// Options.CallbackDeadline, type checked against the interaction);
// follow-up webhooks POST /webhooks/{app}/{token} and GET/PATCH/DELETE
// .../messages/@original|{id}; POST/GET /channels/{id}/messages and
// GET/PATCH/DELETE /channels/{id}/messages/{id}, with snowflake IDs and
// nonce + enforce_nonce deduplication within Options.NonceWindow; GET
// /channels/{id}, /guilds/{id}, /guilds/{id}/roles and /channels. Message
// bodies (JSON or multipart with payload_json and files[n]) are checked
// against Discord's limits (2000-character content, 10 embeds of at most
// 6000 characters, 5 action rows, custom_id ≤ 100…) and refused with 400
// Invalid Form Body (code 50035) as Discord would. Anything else is
// recorded and answered 404 JSON.
//
// Gateway (/ws): HELLO first; IDENTIFY → READY (session_id,
// resume_gateway_url — /resume on the host the client dialled, not /ws —,
// user, application, unavailable guilds) and a GUILD_CREATE per guild;
// heartbeat → ACK; RESUME on the resume URL → replay of missed dispatches
// then RESUMED, or op 9 when the session cannot be resumed. Frames are
// plain JSON text unless Options.CompressPayloads.
//
// HTTP interactions: after SetInteractionsURL, Interact POSTs each
// interaction to the bot's endpoint (loopback only) signed with Ed25519
// (PublicKey), and the HTTP answer is its callback; PingEndpoint checks the
// endpoint as Discord does when the URL is saved.
//
// # Discord's documented rules it enforces
//
// The fake follows discord-api-docs, not discordgo; each rule cites its
// section in the code. Breaches Discord answers are answered the same way;
// breaches Discord only punishes indirectly are recorded (Violations), and
// StartT fails the test on any (Options.TolerateViolations to allow them):
//
//   - A client closing with 1000/1001 ends its session: RESUME → op 9
//     (topics/gateway#initiating-a-disconnect).
//   - RESUME only on READY's resume_gateway_url; elsewhere op 9 and a
//     violation (topics/gateway#preparing-to-resume).
//   - After op 9 a new connection: IDENTIFY or RESUME on the same one is
//     closed with 4000 and recorded (topics/gateway#resuming).
//   - The first heartbeat waits interval × jitter: sent at once on three
//     connections in a row is recorded; HeartbeatJitters reports each
//     connection's. A connection without a heartbeat for two intervals and
//     2 s is closed with 4000, resumable (topics/gateway#heartbeat-interval).
//   - 429s as documented per scope: "global" with only Retry-After,
//     X-RateLimit-Global and X-RateLimit-Scope; "shared" not counted
//     against the client (topics/rate-limits#exceeding-a-rate-limit). A
//     request during a global limit (interaction endpoints excepted) is
//     recorded (#global-rate-limit).
//   - Invalid requests (401, 403, 429 not shared) are counted; over
//     Options.InvalidRequestLimit in 10 minutes (default 10,000) the client
//     is banned: Cloudflare's HTML 429 for everything, and requests during
//     a ban are recorded (#invalid-request-limit-aka-cloudflare-bans).
//   - Lengths in UTF-16 code units after trimming, required embed fields
//     non-blank after trimming (resources/message#embed-object-embed-limits).
//   - An autocomplete answer carries "choices", [] when empty
//     (interactions/receiving-and-responding).
//   - The initial response within 3 s of real time, whatever Options.Clock
//     says; Interaction.AnswerWithin asks for another window
//     (interactions/receiving-and-responding#responding-to-an-interaction).
//   - A global command listing contexts is offered only there: a DM
//     interaction for a guild-only command is refused
//     (interactions/application-commands#interaction-contexts).
//
// # Driving the bot
//
// Interact (or Exchange, which also waits for the callback) sends an
// INTERACTION_CREATE built
// like Discord's (member with permissions as a string, app_permissions as a
// string, which discordgo needs, locale, channel, message for components).
// Commands must have been registered by the bot; components must exist on a
// message the fake holds (a response, follow-up or channel post), so tests
// press the buttons the bot really sent:
//
//	cb, err := f.Exchange(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
//	next, err := f.Exchange(ctx, fakediscord.Button(cb.Data.CustomIDs()[0]))
//
// WaitCallback, WaitOriginal (a deferred response once edited) and
// WaitFollowups return what the bot answered; Messages and WaitMessages
// what is in a channel (posts, responses, follow-ups, ephemeral ones too);
// Commands and WaitCommands what the bot registered; Requests, RequestsTo,
// WaitRequests and Unhandled every HTTP request; Frames and WaitFrames every
// gateway frame. Edits follow Discord: fields absent keep their value,
// "embeds": null clears the embeds, "components": null is ignored.
//
// # Waiting
//
// Every Wait* method blocks until its condition holds, the context ends or
// the server closes; none polls or sleeps. Recorded requests are visible
// before their response reaches the client.
//
// # Misbehaviour
//
// AddFault, FailNext, RateLimitNext, FailFor and SlowDown inject 429s (with
// retry_after in the body and the headers of Fault.Scope: "user", "global"
// or "shared"; Fault.CloudflareBan for the HTML ban page), 5xx (502/504 as Cloudflare HTML), delays and dropped
// connections; LimitRoute enforces real buckets; DenyChannel and
// RemoveChannel give 403 Missing Permissions and 404 Unknown Channel.
// On the gateway: DropGateway, Reconnect (op 7), InvalidateSession (op 9),
// CloseGateway (close codes such as 4004), RejectHandshakes and
// SetHeartbeatAcks(false).
//
// # discordgo v0.29.0 behaviour the bot must bound or replace
//
//   - On 429 it sleeps retry_after (time.Sleep, no context) and retries
//     without limit while Session.ShouldRetryOnRateLimit is true. The only
//     bound is a per-call discordgo.WithContext deadline (the retry after
//     the deadline fails at once) or ShouldRetryOnRateLimit = false and
//     handling *discordgo.RateLimitError itself.
//   - It retries 502 up to MaxRestRetries times immediately, with no
//     backoff; other 5xx come back as *discordgo.RESTError at once.
//   - After a gateway error it reconnects forever (1 s doubling to 10 min)
//     with no way to stop the loop, even by Session.Close, and a close code
//     such as 4004 (bad token) does not stop it.
//   - Its gateway breaks the rules above: it closes a zombie connection
//     with 1000 and then resumes, resumes at the URL from GET /gateway,
//     sends the first heartbeat at once and re-IDENTIFYs on the connection
//     that got op 9. Against this fake its reconnects fail; bot/discord has
//     its own gateway client.
//   - It pauses for a global 429 only with X-RateLimit-Reset-After, which
//     Discord's global 429 lacks, and a Cloudflare ban (HTML 429) comes
//     back as a JSON decoding error.
//   - InteractionResponseData omits an empty "choices".
//   - Session.Close (and every reconnect) sleeps 1 s holding the session
//     lock.
//   - MessageSend has no nonce/enforce_nonce fields: send them with
//     Session.RequestWithBucketID and your own body.
//   - InteractionResponseData always sends "content" and "embeds": null, so
//     an update (type 7) carrying only content clears the embeds: send the
//     whole message on every update.
package fakediscord
