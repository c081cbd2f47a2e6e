package fakediscord_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digestbot/digestbot/internal/fakediscord"
	"github.com/gorilla/websocket"
)

// fastOpts uses a heartbeat interval longer than discordgo's 1-s sleep in
// Session.Close: with a shorter one, discordgo's heartbeat goroutine of a
// dropped connection wakes during that sleep, fails to write on the dead
// connection and closes the fresh one, causing a second reconnect.
func fastOpts() fakediscord.Options {
	return fakediscord.Options{HeartbeatInterval: 5 * time.Second}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// session returns a discordgo session pointed at f, not yet opened; it is
// closed at cleanup (before f, which StartT registered earlier).
func session(t *testing.T, f *fakediscord.Server, token string) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatal(err)
	}
	f.Configure(s)
	s.LogLevel = -1 // discordgo logs expected errors with log.Printf
	t.Cleanup(func() { s.Close() })
	return s
}

func open(t *testing.T, f *fakediscord.Server, s *discordgo.Session) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := f.WaitSession(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

func strPtr(i int) *int { return &i }

var searchCommands = []*discordgo.ApplicationCommand{
	{Name: "search", Description: "Search the articles", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "Words to look for", Required: true, MinLength: strPtr(1), MaxLength: 200},
		{Type: discordgo.ApplicationCommandOptionString, Name: "from", Description: "Earliest date"},
	}},
	{Name: "article", Description: "Show one article", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "id", Description: "Article ID or title", Required: true, Autocomplete: true},
	}},
}

func register(t *testing.T, f *fakediscord.Server, s *discordgo.Session) []*discordgo.ApplicationCommand {
	t.Helper()
	got, err := s.ApplicationCommandBulkOverwrite(f.ApplicationID(), fakediscord.DefaultGuildID, searchCommands)
	if err != nil {
		t.Fatalf("registering commands: %v", err)
	}
	return got
}

// answer is a small bot: /search answers with an ephemeral embed and a
// Next button; Next updates the message; /article autocompletes.
func answer(t *testing.T) func(*discordgo.Session, *discordgo.InteractionCreate) {
	return func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		var resp *discordgo.InteractionResponse
		switch i.Type {
		case discordgo.InteractionApplicationCommand:
			q := i.ApplicationCommandData().GetOption("query")
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral,
					Embeds: []*discordgo.MessageEmbed{{Title: "Results for " + q.StringValue()}},
					Components: []discordgo.MessageComponent{
						discordgo.ActionsRow{Components: []discordgo.MessageComponent{
							discordgo.Button{Label: "Next", Style: discordgo.PrimaryButton, CustomID: "next:1"}}},
						discordgo.ActionsRow{Components: []discordgo.MessageComponent{
							discordgo.SelectMenu{CustomID: "open", Placeholder: "Open an article", Options: []discordgo.SelectMenuOption{
								{Label: "Mohe", Value: "a1b2"}, {Label: "Border", Value: "c3d4"}}}}},
					}}}
		case discordgo.InteractionMessageComponent:
			if i.Message == nil || i.Message.ID == "" || len(i.Message.Components) == 0 {
				t.Errorf("component interaction without its message: %+v", i.Message)
			}
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "page 2 (" + i.MessageComponentData().CustomID + ")"}}
		case discordgo.InteractionApplicationCommandAutocomplete:
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "Mohe border police", Value: "a1b2"}}}}
		}
		if err := s.InteractionRespond(i.Interaction, resp); err != nil {
			t.Errorf("InteractionRespond: %v", err)
		}
	}
}

func TestOpenReceivesReady(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	ready := make(chan *discordgo.Ready, 1)
	s.AddHandlerOnce(func(_ *discordgo.Session, r *discordgo.Ready) { ready <- r })
	open(t, f, s)
	select {
	case r := <-ready:
		if r.User.ID != fakediscord.DefaultBotUserID || !r.User.Bot || r.Application.ID != fakediscord.DefaultApplicationID || r.SessionID == "" {
			t.Errorf("READY = user %+v application %+v session %q", r.User, r.Application, r.SessionID)
		}
	case <-testCtx(t).Done():
		t.Fatal("no READY")
	}
	frames := f.Frames()
	if frames[0].Op != 10 || frames[0].FromBot {
		t.Errorf("first frame = %+v, want HELLO from the fake", frames[0])
	}
	ids, err := f.WaitFrames(testCtx(t), true, 2, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ids[0].Data), `"compress":true`) {
		t.Errorf("IDENTIFY = %s; discordgo was expected to ask for compress", ids[0].Data)
	}
	if _, err := f.WaitFrames(testCtx(t), false, 11, "", 1); err != nil {
		t.Fatalf("no heartbeat ACK: %v", err)
	}
	gb, err := s.GatewayBot()
	if err != nil || gb.URL != f.GatewayURL()+"/" || gb.Shards != 1 {
		t.Errorf("GET /gateway/bot = %+v, %v", gb, err)
	}
	u, err := s.User("@me")
	if err != nil || u.ID != fakediscord.DefaultBotUserID {
		t.Errorf("GET /users/@me = %+v, %v", u, err)
	}
	ch, err := s.Channel(fakediscord.DefaultChannelID)
	if err != nil || ch.GuildID != fakediscord.DefaultGuildID || ch.Name != "general" {
		t.Errorf("GET /channels/{id} = %+v, %v", ch, err)
	}
	if st := f.GatewayStats(); st.Identifies != 1 || st.Handshakes != 1 || st.Live != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCommandsAndInteractions(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	s.AddHandler(answer(t))
	open(t, f, s)
	ctx := testCtx(t)

	first := register(t, f, s)
	again := register(t, f, s)
	if len(first) != 2 || first[0].ID == "" || first[0].ID != again[0].ID || first[0].Version == again[0].Version {
		t.Errorf("bulk overwrite: first %+v, again %+v (IDs must stay, versions change)", first[0], again[0])
	}
	if cmds := f.Commands(fakediscord.DefaultGuildID); len(cmds) != 2 || cmds[0].Name != "search" || cmds[0].Options[0].MaxLength == nil || *cmds[0].Options[0].MaxLength != 200 {
		t.Errorf("Commands = %+v", cmds)
	}
	if list, err := s.ApplicationCommands(f.ApplicationID(), fakediscord.DefaultGuildID); err != nil || len(list) != 2 {
		t.Errorf("GET commands = %d, %v", len(list), err)
	}

	// A slash command answered with an ephemeral embed and a button.
	cb, err := f.Exchange(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "border police")))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != fakediscord.CallbackMessage || !cb.Data.Ephemeral() || len(cb.Data.Embeds) != 1 ||
		cb.Data.Embeds[0].Title != "Results for border police" || len(cb.Data.CustomIDs()) != 2 {
		t.Fatalf("callback = %+v", cb)
	}

	// Pressing the button the bot sent updates that message.
	sent, err := f.Interact(ctx, fakediscord.Button(cb.Data.CustomIDs()[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitCallback(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	orig, ok := f.Original(sent.ID)
	// discordgo sends "embeds": null and "components": null with every
	// InteractionResponseData: Discord clears the embeds and keeps the
	// components.
	if !ok || orig.Content != "page 2 (next:1)" || orig.Edits != 1 || !orig.Ephemeral() || len(orig.Embeds) != 0 || len(orig.CustomIDs()) != 2 {
		t.Errorf("updated message = %+v", orig)
	}

	// The select menu on the same message.
	for _, in := range []fakediscord.Interaction{
		fakediscord.Select("open", "not-an-option"),
		fakediscord.Select("open", "a1b2", "c3d4"), // max_values is 1
	} {
		if _, err := f.Interact(ctx, in); err == nil {
			t.Errorf("Interact(%+v) succeeded", in)
		}
	}
	if cb, err := f.Exchange(ctx, fakediscord.Select("open", "c3d4")); err != nil || cb.Type != fakediscord.CallbackUpdateMessage {
		t.Errorf("select: %+v, %v", cb, err)
	}

	// Autocomplete gets type 8 choices.
	cb, err = f.Exchange(ctx, fakediscord.Autocomplete("article", fakediscord.Focused("id", "moh")))
	if err != nil || cb.Type != fakediscord.CallbackAutocomplete || len(cb.Data.Choices) != 1 {
		t.Errorf("autocomplete callback = %+v, %v", cb, err)
	}

	// The fake refuses what the Discord client could not send.
	for _, in := range []fakediscord.Interaction{
		fakediscord.SlashCommand("nope"),
		fakediscord.SlashCommand("search"),
		fakediscord.SlashCommand("search", fakediscord.Str("query", "")),
		fakediscord.Button("no-such-button"),
	} {
		if _, err := f.Interact(ctx, in); err == nil {
			t.Errorf("Interact(%+v) succeeded", in)
		}
	}
}

func TestInteractionPayloadDecodes(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	got := make(chan *discordgo.Interaction, 1)
	s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { got <- i.Interaction })
	open(t, f, s)
	register(t, f, s)
	in := fakediscord.SlashCommand("search", fakediscord.Str("query", "x"), fakediscord.Value("from", "2023-07"))
	in.Permissions = fakediscord.PermManageGuild | fakediscord.DefaultPermissions
	in.Roles = []string{"42"}
	sent, err := f.Interact(testCtx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case i := <-got:
		d := i.ApplicationCommandData()
		if i.ID != sent.ID || i.Token != sent.Token || i.AppID != f.ApplicationID() || i.GuildID != fakediscord.DefaultGuildID ||
			i.ChannelID != fakediscord.DefaultChannelID || i.Member == nil || i.Member.User.ID != fakediscord.DefaultUserID ||
			i.Member.Permissions&fakediscord.PermManageGuild == 0 || i.AppPermissions != fakediscord.DefaultPermissions ||
			i.Version != 1 || i.Locale != discordgo.EnglishUS || len(i.Member.Roles) != 1 ||
			d.Name != "search" || d.GetOption("from").StringValue() != "2023-07" {
			t.Errorf("decoded interaction = %+v data %+v", i, d)
		}
	case <-testCtx(t).Done():
		t.Fatal("no INTERACTION_CREATE")
	}
}

func TestDeferredResponseAndFollowups(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
		if err == nil {
			_, err = s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: ptr("done")})
		}
		if err == nil {
			_, err = s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "more",
				Files: []*discordgo.File{{Name: "article.txt", ContentType: "text/plain", Reader: strings.NewReader("full text")}}})
		}
		if err == nil {
			err = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
			if err == nil {
				err = errors.New("second callback accepted")
			} else {
				err = nil
			}
		}
		if err != nil {
			t.Error(err)
		}
	})
	open(t, f, s)
	register(t, f, s)
	ctx := testCtx(t)
	sent, err := f.Interact(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "q")))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.WaitOriginal(ctx, sent.ID)
	if err != nil || m.Content != "done" || m.Kind != fakediscord.KindResponse {
		t.Errorf("original = %+v, %v", m, err)
	}
	fu, err := f.WaitFollowups(ctx, sent.ID, 1)
	if err != nil || fu[0].Content != "more" || len(fu[0].Files) != 1 || string(fu[0].Files[0].Data) != "full text" {
		t.Errorf("follow-ups = %+v, %v", fu, err)
	}
	i := &discordgo.Interaction{AppID: f.ApplicationID(), Token: sent.Token}
	if _, err := s.FollowupMessageEdit(i, fu[0].ID, &discordgo.WebhookEdit{Content: ptr("edited")}); err != nil {
		t.Errorf("editing the follow-up: %v", err)
	}
	if m, ok := f.MessageByID(fu[0].ID); !ok || m.Content != "edited" || m.Edits != 1 || len(m.Files) != 1 {
		t.Errorf("edited follow-up = %+v", m)
	}
	if err := s.FollowupMessageDelete(i, fu[0].ID); err != nil || len(f.Followups(sent.ID)) != 0 {
		t.Errorf("deleting the follow-up: %v, %d left", err, len(f.Followups(sent.ID)))
	}
	if _, err := f.WaitRequests(ctx, "POST /interactions/**", 2); err != nil {
		t.Fatal(err)
	}
	if cbs := f.Callbacks(sent.ID); len(cbs) != 2 || cbs[1].Accepted() {
		t.Errorf("callbacks = %+v; the second must be refused", cbs)
	}
}

func ptr[T any](v T) *T { return &v }

// The 3-second window is real time: moving the fake's clock does not make
// a callback late, taking longer than the window (here asked for as
// 100 ms) does.
func TestLateCallbackRefused(t *testing.T) {
	t.Parallel()
	clock := &fakediscord.ManualClock{T: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	opts := fastOpts()
	opts.Clock = clock.Now
	f := fakediscord.StartT(t, opts)
	s := session(t, f, "tok")
	respErr := make(chan error, 1)
	s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if strings.Contains(i.ApplicationCommandData().GetOption("query").StringValue(), "quick") {
			clock.Advance(time.Hour) // the fake's clock, not the window's
		} else {
			time.Sleep(150 * time.Millisecond)
		}
		respErr <- s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "late"}})
	})
	open(t, f, s)
	register(t, f, s)
	if _, err := f.Exchange(testCtx(t), fakediscord.SlashCommand("search", fakediscord.Str("query", "quick"))); err != nil {
		t.Errorf("a quick callback after the clock moved an hour: %v", err)
	}
	if err := <-respErr; err != nil {
		t.Error(err)
	}
	slow := fakediscord.SlashCommand("search", fakediscord.Str("query", "q"))
	slow.AnswerWithin = 100 * time.Millisecond
	_, err := f.Exchange(testCtx(t), slow)
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Exchange error = %v, want a deadline refusal", err)
	}
	var rest *discordgo.RESTError
	if err := <-respErr; !errors.As(err, &rest) || rest.Message == nil || rest.Message.Code != 10062 {
		t.Errorf("InteractionRespond error = %v, want Unknown interaction (10062)", err)
	}
}

func TestCommandValidation(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	bad := [][]*discordgo.ApplicationCommand{
		{{Name: "Search", Description: "capital letter"}},
		{{Name: "search", Description: ""}},
		{{Name: "search", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "d"},
			{Type: discordgo.ApplicationCommandOptionString, Name: "b", Description: "d", Required: true}}}},
		{{Name: "search", Description: "d"}, {Name: "search", Description: "dup"}},
		{{Name: "search", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "d", MaxLength: 7000}}}},
	}
	for i, cmds := range bad {
		_, err := s.ApplicationCommandBulkOverwrite(f.ApplicationID(), "", cmds)
		var rest *discordgo.RESTError
		if !errors.As(err, &rest) || rest.Response.StatusCode != 400 || rest.Message.Code != 50035 {
			t.Errorf("case %d: err = %v, want 400 Invalid Form Body", i, err)
		}
	}
	if n := len(f.Commands("")); n != 0 {
		t.Errorf("%d commands stored after refusals", n)
	}
	c, err := s.ApplicationCommandCreate(f.ApplicationID(), "", &discordgo.ApplicationCommand{Name: "help", Description: "Help"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.ApplicationCommandEdit(f.ApplicationID(), "", c.ID, &discordgo.ApplicationCommand{Name: "help", Description: "What the bot does"})
	if err != nil || c2.ID != c.ID || f.Commands("")[0].Description != "What the bot does" {
		t.Errorf("edit: %+v, %v", c2, err)
	}
	if err := s.ApplicationCommandDelete(f.ApplicationID(), "", c.ID); err != nil || len(f.Commands("")) != 0 {
		t.Errorf("delete: %v, %d left", err, len(f.Commands("")))
	}
}

func TestChannelMessagesAndNonce(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	s := session(t, f, "tok")
	ch := fakediscord.DefaultChannelID
	m1, err := s.ChannelMessageSend(ch, "hello")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := s.ChannelMessageSendEmbed(ch, &discordgo.MessageEmbed{Title: "Digest"})
	if err != nil {
		t.Fatal(err)
	}
	if m1.ID == "" || m1.ID >= m2.ID || m1.ChannelID != ch || m1.Content != "hello" || m1.Author == nil || !m1.Author.Bot {
		t.Errorf("messages = %+v %+v", m1, m2)
	}
	// discordgo's MessageSend has no nonce: send the body by hand.
	url := discordgo.EndpointChannelMessages(ch)
	body := map[string]any{"content": "daily digest", "nonce": "digest-2024-05-01", "enforce_nonce": true}
	var ids []string
	for range 2 {
		raw, err := s.RequestWithBucketID("POST", url, body, url)
		if err != nil {
			t.Fatal(err)
		}
		var m discordgo.Message
		if err := m.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	msgs, err := f.WaitMessages(testCtx(t), ch, 3)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != ids[1] || len(msgs) != 3 || msgs[2].Nonce != "digest-2024-05-01" || msgs[1].Embeds[0].Title != "Digest" {
		t.Errorf("nonce ids %v, messages %+v", ids, msgs)
	}
	for content, code := range map[string]int{"": 50006, strings.Repeat("x", 2001): 50035} {
		var rest *discordgo.RESTError
		if _, err := s.ChannelMessageSend(ch, content); !errors.As(err, &rest) || rest.Response.StatusCode != 400 || rest.Message.Code != code {
			t.Errorf("content of %d runes: err = %v, want 400 code %d", len(content), err, code)
		}
	}
	f.DenyChannel("555")
	var rest *discordgo.RESTError
	if _, err := s.ChannelMessageSend("555", "x"); !errors.As(err, &rest) || rest.Message.Code != 50013 {
		t.Errorf("denied channel: %v", err)
	}
	f.RemoveChannel("556")
	if _, err := s.ChannelMessageSend("556", "x"); !errors.As(err, &rest) || rest.Message.Code != 10003 {
		t.Errorf("removed channel: %v", err)
	}
	if _, err := s.GuildBans(fakediscord.DefaultGuildID, 10, "", ""); err == nil || len(f.Unhandled()) != 1 {
		t.Errorf("unhandled route: err %v, recorded %d", err, len(f.Unhandled()))
	}
}

func TestCompressedPayloads(t *testing.T) {
	t.Parallel()
	opts := fastOpts()
	opts.CompressPayloads = true
	f := fakediscord.StartT(t, opts)
	s := session(t, f, "tok")
	s.AddHandler(answer(t))
	open(t, f, s)
	register(t, f, s)
	if _, err := f.Exchange(testCtx(t), fakediscord.SlashCommand("search", fakediscord.Str("query", "zlib"))); err != nil {
		t.Fatal(err)
	}
}

func TestBadTokenRefused(t *testing.T) {
	t.Parallel()
	opts := fastOpts()
	opts.Token = "right"
	f := fakediscord.StartT(t, opts)
	s := session(t, f, "wrong")
	err := s.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != fakediscord.CloseAuthenticationFailed {
		t.Errorf("Open with a bad token = %v, want close 4004", err)
	}
	var rest *discordgo.RESTError
	if _, err := s.User("@me"); !errors.As(err, &rest) || rest.Response.StatusCode != 401 {
		t.Errorf("REST with a bad token = %v, want 401", err)
	}
	good := session(t, f, "right")
	open(t, f, good)
}

func TestHTTPClientStaysLocal(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	c := f.HTTPClient()
	if _, err := c.Get("http://example.com/"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("GET example.com = %v, want refused", err)
	}
	resp, err := c.Get(discordgo.EndpointGateway)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(f.GatewayURL(), "ws://127.0.0.1:") {
		t.Errorf("gateway: %d %s", resp.StatusCode, f.GatewayURL())
	}
}

// TestGoroutinesCleanedUp is not parallel: it counts goroutines.
func TestGoroutinesCleanedUp(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		f := fakediscord.New(fastOpts())
		if err := f.Start(); err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, _ := discordgo.New("Bot tok")
		f.Configure(s)
		s.LogLevel = -1
		s.AddHandler(answer(t))
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)
		register(t, f, s)
		if _, err := f.Exchange(ctx, fakediscord.SlashCommand("search", fakediscord.Str("query", "q"))); err != nil {
			t.Fatal(err)
		}
		// A second client whose connection drops (discordgo's own cannot
		// be dropped here: it would resume against the rules, forever).
		c := dialRaw(t, f, f.GatewayURL())
		identifyRaw(c)
		c.ws.Close()
		if err := f.WaitHandshakes(ctx, 2); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // nothing to wait on: goroutine exit has no event
	}
	if n := runtime.NumGoroutine(); n > base+1 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestMatchRoute(t *testing.T) {
	t.Parallel()
	f := fakediscord.StartT(t, fastOpts())
	c := f.HTTPClient()
	for _, p := range []string{"/api/v9/channels/1/messages", "/api/v10/users/@me", "/nothing"} {
		resp, err := c.Post(f.URL()+p, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	tests := []struct {
		pattern string
		want    int
	}{
		{"**", 3},
		{"", 3},
		{"POST /channels/*/messages", 1},
		{"GET /channels/*/messages", 0},
		{"/channels/{id}/messages", 1},
		{"/api/v9/channels/1/**", 1},
		{"/channels/**", 1},
		{"/channels", 0},
		{"/users/@me", 1},
		{"/nothing", 1},
	}
	for _, tc := range tests {
		if got := len(f.RequestsTo(tc.pattern)); got != tc.want {
			t.Errorf("RequestsTo(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}
