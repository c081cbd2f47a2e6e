package fakediscord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// InteractionType is Discord's interaction type.
type InteractionType int

// Interaction types the fake sends.
const (
	TypeCommand      InteractionType = 2 // APPLICATION_COMMAND
	TypeComponent    InteractionType = 3 // MESSAGE_COMPONENT (button, select)
	TypeAutocomplete InteractionType = 4 // APPLICATION_COMMAND_AUTOCOMPLETE
)

// Interaction describes an interaction to send to the bot. Zero fields take
// defaults; build one with SlashCommand, Autocomplete, Button or Select.
type Interaction struct {
	Type InteractionType
	// Name and Options: the slash command (commands and autocomplete). The
	// command must be registered (in the guild or globally) and the options
	// must fit its declaration, as the Discord client guarantees.
	Name    string
	Options []Opt
	// CustomID, ComponentType and Values: the component pressed. The
	// component must exist on a message the fake holds: MessageID names it,
	// or "" picks the newest message carrying CustomID.
	CustomID      string
	ComponentType int
	Values        []string
	MessageID     string
	// Where: default the message's channel (components), else the first
	// guild and its first channel. DM sends from a DM: no guild, no member.
	GuildID, ChannelID string
	DM                 bool
	// Who: default DefaultUserID/DefaultUsername with DefaultPermissions.
	UserID, Username string
	Permissions      int64 // the member's permissions in the channel; 0 means DefaultPermissions
	Roles            []string
	AppPermissions   int64 // 0 means DefaultPermissions
	Locale           string
	// Unregistered skips the registered-command check (made-up command ID,
	// options unchecked).
	Unregistered bool
	// AnswerWithin overrides Options.CallbackDeadline for this interaction:
	// a test that needs a slow (or an especially quick) callback asks for
	// it here; negative: no deadline.
	AnswerWithin time.Duration
}

// Opt is an option value in a command interaction.
type Opt struct {
	Name    string
	Type    int // 0: taken from the command's declaration
	Value   any
	Focused bool
	Options []Opt // for sub-commands
}

// SlashCommand builds a slash command interaction.
func SlashCommand(name string, opts ...Opt) Interaction {
	return Interaction{Type: TypeCommand, Name: name, Options: opts}
}

// Autocomplete builds an autocomplete interaction; one option should be
// Focused.
func Autocomplete(name string, opts ...Opt) Interaction {
	return Interaction{Type: TypeAutocomplete, Name: name, Options: opts}
}

// Button builds a button press.
func Button(customID string) Interaction {
	return Interaction{Type: TypeComponent, CustomID: customID, ComponentType: ComponentButton}
}

// Select builds a string select menu choice.
func Select(customID string, values ...string) Interaction {
	return Interaction{Type: TypeComponent, CustomID: customID, ComponentType: ComponentStringSelect, Values: values}
}

// Str is a string option.
func Str(name, v string) Opt { return Opt{Name: name, Type: OptString, Value: v} }

// Int is an integer option.
func Int(name string, v int64) Opt { return Opt{Name: name, Type: OptInteger, Value: v} }

// Num is a number option.
func Num(name string, v float64) Opt { return Opt{Name: name, Type: OptNumber, Value: v} }

// Bool is a boolean option.
func Bool(name string, v bool) Opt { return Opt{Name: name, Type: OptBoolean, Value: v} }

// Value is an option whose type comes from the command's declaration.
func Value(name string, v any) Opt { return Opt{Name: name, Value: v} }

// Focused is the option being typed in an autocomplete interaction; Discord
// sends the partial input as a string whatever the option's type.
func Focused(name, partial string) Opt { return Opt{Name: name, Value: partial, Focused: true} }

// Sub is a sub-command or sub-command group.
func Sub(name string, opts ...Opt) Opt { return Opt{Name: name, Options: opts} }

// Sent identifies a dispatched interaction.
type Sent struct {
	ID, Token string
	Seq       int64 // gateway sequence of the INTERACTION_CREATE
}

// Callback is one interaction callback the bot sent.
type Callback struct {
	InteractionID, Token string
	Type                 int
	Data                 Payload
	Raw                  json.RawMessage // the callback body (payload_json for multipart)
	Files                []File
	Time                 time.Time
	Status               int    // what the fake answered: 204, or the error status
	Error                string // why it was refused
}

// Interaction callback types.
const (
	CallbackPong            = 1
	CallbackMessage         = 4
	CallbackDeferredMessage = 5
	CallbackDeferredUpdate  = 6
	CallbackUpdateMessage   = 7
	CallbackAutocomplete    = 8
	CallbackModal           = 9
)

// Accepted reports whether the fake accepted the callback.
func (c Callback) Accepted() bool { return c.Status >= 200 && c.Status < 300 }

type interactionState struct {
	id, token          string
	typ                InteractionType
	channelID, guildID string
	componentMsg       string
	created            time.Time     // Options.Clock: the token's 15 minutes
	dispatched         time.Time     // real time: the 3-second answer window
	deadline           time.Duration // ≤ 0: none
	callbacks          []Callback
	acked              bool
	originalID         string
	followups          []string
}

// Interact sends an INTERACTION_CREATE to the bot, waiting (bounded by ctx)
// for a valid gateway session if there is none. While the bot is
// disconnected the dispatch is buffered for its RESUME, as on Discord.
// After SetInteractionsURL it is POSTed, signed, to the bot's endpoint
// instead, and the HTTP answer is its callback.
func (f *Server) Interact(ctx context.Context, in Interaction) (Sent, error) {
	f.mu.Lock()
	viaHTTP := f.interactionsURL != ""
	f.mu.Unlock()
	if viaHTTP {
		return f.interactHTTP(in)
	}
	for {
		var payload map[string]any
		var st *interactionState
		err := f.withSession(ctx, func(*session) error {
			var err error
			payload, st, err = f.buildInteractionLocked(in)
			return err
		})
		if err != nil {
			return Sent{}, err
		}
		db, err := json.Marshal(payload) // outside the lock: the slow part
		if err != nil {
			return Sent{}, fmt.Errorf("fakediscord: encoding interaction: %w", err)
		}
		f.mu.Lock()
		s := f.sessionForLocked(st.guildID)
		if f.closed || s == nil || !s.valid {
			closed, changed := f.closed, f.changed
			f.mu.Unlock()
			if closed {
				return Sent{}, ErrClosed
			}
			// The session went away meanwhile, or the guild's shard has
			// none yet: wait for a change, then build again.
			select {
			case <-ctx.Done():
				return Sent{}, fmt.Errorf("fakediscord: waiting for the gateway session of guild %s: %w", st.guildID, context.Cause(ctx))
			case <-f.done:
			case <-changed:
			}
			continue
		}
		f.registerLocked(st, in)
		seq := f.dispatchRawLocked(s, "INTERACTION_CREATE", db)
		f.notifyLocked()
		f.mu.Unlock()
		return Sent{ID: st.id, Token: st.token, Seq: seq}, nil
	}
}

// Exchange sends an interaction and waits for its first callback.
func (f *Server) Exchange(ctx context.Context, in Interaction) (Callback, error) {
	sent, err := f.Interact(ctx, in)
	if err != nil {
		return Callback{}, err
	}
	return f.WaitCallback(ctx, sent.ID)
}

// WaitCallback waits for the first callback to an interaction. A callback
// the fake refused (late, invalid, duplicate) is returned with an error.
func (f *Server) WaitCallback(ctx context.Context, interactionID string) (Callback, error) {
	var cb Callback
	err := f.wait(ctx, "callback to interaction "+interactionID, func() bool {
		st := f.interactions[interactionID]
		if st == nil || len(st.callbacks) == 0 {
			return false
		}
		cb = st.callbacks[0]
		return true
	})
	if err != nil {
		return cb, err
	}
	if !cb.Accepted() {
		return cb, fmt.Errorf("fakediscord: callback to interaction %s refused with %d: %s", interactionID, cb.Status, cb.Error)
	}
	return cb, nil
}

// Callbacks returns every callback attempt for an interaction.
func (f *Server) Callbacks(interactionID string) []Callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.interactions[interactionID]; st != nil {
		return append([]Callback(nil), st.callbacks...)
	}
	return nil
}

// Original returns an interaction's original response message in its
// current state (for type 6/7 callbacks, the component's message).
func (f *Server) Original(interactionID string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.originalLocked(interactionID); m != nil {
		return m.copy(), true
	}
	return Message{}, false
}

func (f *Server) originalLocked(interactionID string) *Message {
	st := f.interactions[interactionID]
	if st == nil || st.originalID == "" {
		return nil
	}
	return f.messageByID[st.originalID]
}

// WaitOriginal waits until an interaction's original response exists and
// is not a pending deferral (a type 5 answered and then edited, or a 4).
func (f *Server) WaitOriginal(ctx context.Context, interactionID string) (Message, error) {
	var m Message
	err := f.wait(ctx, "original response of interaction "+interactionID, func() bool {
		om := f.originalLocked(interactionID)
		if om == nil || om.Pending {
			return false
		}
		m = om.copy()
		return true
	})
	return m, err
}

// Followups returns the live follow-up messages of an interaction.
func (f *Server) Followups(interactionID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.followupsLocked(interactionID)
}

func (f *Server) followupsLocked(interactionID string) []Message {
	st := f.interactions[interactionID]
	if st == nil {
		return nil
	}
	var out []Message
	for _, id := range st.followups {
		if m := f.messageByID[id]; m != nil && !m.Deleted {
			out = append(out, m.copy())
		}
	}
	return out
}

// WaitFollowups waits until an interaction has at least n live follow-ups.
func (f *Server) WaitFollowups(ctx context.Context, interactionID string, n int) ([]Message, error) {
	var out []Message
	err := f.wait(ctx, fmt.Sprintf("%d follow-ups to interaction %s", n, interactionID), func() bool {
		out = f.followupsLocked(interactionID)
		return len(out) >= n
	})
	return out, err
}

// registerLocked records a dispatched interaction; its answer window
// starts now.
func (f *Server) registerLocked(st *interactionState, in Interaction) {
	st.created, st.dispatched = f.now(), time.Now()
	st.deadline = f.opts.CallbackDeadline
	if in.AnswerWithin != 0 {
		st.deadline = in.AnswerWithin
	}
	f.interactions[st.id] = st
	f.byToken[st.token] = st
}

func randomToken() string {
	var b [24]byte
	rand.Read(b[:])
	return "aW50ZXJhY3Rpb246" + hex.EncodeToString(b[:])
}

// buildInteractionLocked resolves and validates an interaction and renders
// its INTERACTION_CREATE payload.
func (f *Server) buildInteractionLocked(in Interaction) (map[string]any, *interactionState, error) {
	if in.UserID == "" {
		in.UserID = DefaultUserID
	}
	if in.Username == "" {
		in.Username = DefaultUsername
	}
	if in.Permissions == 0 {
		in.Permissions = DefaultPermissions
	}
	if in.AppPermissions == 0 {
		in.AppPermissions = DefaultPermissions
	}
	if in.Locale == "" {
		in.Locale = "en-US"
	}

	var msg *Message
	data := map[string]any{}
	switch in.Type {
	case TypeComponent:
		var err error
		if msg, err = f.findComponentLocked(&in); err != nil {
			return nil, nil, err
		}
		data["custom_id"] = in.CustomID
		data["component_type"] = in.ComponentType
		if in.ComponentType != ComponentButton {
			data["values"] = append([]string{}, in.Values...)
		}
	case TypeCommand, TypeAutocomplete:
	default:
		return nil, nil, fmt.Errorf("fakediscord: interaction type %d is not one the fake sends", in.Type)
	}
	if in.DM {
		in.GuildID = ""
	} else if in.GuildID == "" {
		in.GuildID = f.opts.Guilds[0].ID
		if in.ChannelID == "" && len(f.opts.Guilds[0].Channels) > 0 {
			in.ChannelID = f.opts.Guilds[0].Channels[0].ID
		}
	}
	if in.ChannelID == "" {
		in.ChannelID = DefaultChannelID
	}

	if in.Type != TypeComponent {
		if err := f.commandDataLocked(in, data); err != nil {
			return nil, nil, err
		}
	}

	st := &interactionState{id: f.newIDLocked(), token: randomToken(), typ: in.Type,
		channelID: in.ChannelID, guildID: in.GuildID}
	user := map[string]any{"id": in.UserID, "username": in.Username, "discriminator": "0",
		"global_name": in.Username, "avatar": nil, "public_flags": 0, "flags": 0}
	chName, _, _, _ := f.channelLocked(in.ChannelID)
	p := map[string]any{
		"id": st.id, "application_id": f.opts.ApplicationID, "type": int(in.Type), "token": st.token,
		"version": 1, "channel_id": in.ChannelID, "data": data, "locale": in.Locale,
		"app_permissions": strconv.FormatInt(in.AppPermissions, 10), // a string, or discordgo fails to decode
		"entitlements":    []any{}, "attachment_size_limit": 10 << 20,
	}
	if in.GuildID != "" {
		p["guild_id"] = in.GuildID
		p["guild_locale"] = "en-US"
		p["context"] = 0
		p["authorizing_integration_owners"] = map[string]any{"0": in.GuildID}
		p["channel"] = channelJSON(in.ChannelID, chName, in.GuildID, 0)
		roles := append([]string{}, in.Roles...)
		p["member"] = map[string]any{"user": user, "roles": roles, "permissions": strconv.FormatInt(in.Permissions, 10),
			"joined_at": "2023-01-01T00:00:00.000000+00:00", "nick": nil, "avatar": nil, "deaf": false, "mute": false,
			"flags": 0, "pending": false, "premium_since": nil, "communication_disabled_until": nil}
	} else {
		p["context"] = 1
		p["authorizing_integration_owners"] = map[string]any{"0": "0"}
		p["user"] = user
		p["channel"] = map[string]any{"id": in.ChannelID, "type": 1}
	}
	if msg != nil {
		st.componentMsg = msg.ID
		p["message"] = f.messageJSON(msg)
	}
	return p, st, nil
}

// findComponentLocked finds the message carrying the pressed component and
// checks the press is possible.
func (f *Server) findComponentLocked(in *Interaction) (*Message, error) {
	if in.CustomID == "" {
		return nil, errors.New("fakediscord: a component interaction needs a CustomID")
	}
	var msg *Message
	if in.MessageID != "" {
		msg = f.messageByID[in.MessageID]
	} else {
		for i := len(f.messages) - 1; i >= 0; i-- {
			m := f.messages[i]
			if m.Deleted || (in.ChannelID != "" && m.ChannelID != in.ChannelID) {
				continue
			}
			if _, ok := m.FindComponent(in.CustomID); ok {
				msg = m
				break
			}
		}
	}
	if msg == nil || msg.Deleted {
		return nil, fmt.Errorf("fakediscord: no live message carries a component with custom_id %q", in.CustomID)
	}
	if in.ChannelID == "" {
		in.ChannelID = msg.ChannelID
	}
	if in.GuildID == "" && !in.DM {
		in.GuildID = msg.GuildID
		in.DM = msg.GuildID == ""
	}
	c, ok := msg.FindComponent(in.CustomID)
	if !ok {
		return nil, fmt.Errorf("fakediscord: message %s has no component with custom_id %q", msg.ID, in.CustomID)
	}
	if c.Disabled {
		return nil, fmt.Errorf("fakediscord: component %q on message %s is disabled", in.CustomID, msg.ID)
	}
	if in.ComponentType == 0 || in.ComponentType != c.Type {
		in.ComponentType = c.Type
	}
	if c.Type == ComponentStringSelect {
		lo, hi := 1, 1
		if c.MinValues != nil {
			lo = *c.MinValues
		}
		if c.MaxValues != nil {
			hi = *c.MaxValues
		}
		if len(in.Values) < lo || len(in.Values) > hi {
			return nil, fmt.Errorf("fakediscord: select %q takes %d to %d values, got %d", in.CustomID, lo, hi, len(in.Values))
		}
		for _, v := range in.Values {
			found := false
			for _, o := range c.Options {
				found = found || o.Value == v
			}
			if !found {
				return nil, fmt.Errorf("fakediscord: select %q has no option %q", in.CustomID, v)
			}
		}
	}
	return msg, nil
}
